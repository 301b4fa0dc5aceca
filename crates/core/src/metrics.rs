//! Metric names pinned for the eval report schema and the analytics endpoint. Reports use these
//! exact flat keys; changing one is a schema change (bump `REPORT_SCHEMA_VERSION`).

pub const REPORT_SCHEMA_VERSION: u32 = 1;

pub const RECALL_AT_1: &str = "recall_at_1";
pub const RECALL_AT_3: &str = "recall_at_3";
pub const RECALL_AT_5: &str = "recall_at_5";
pub const RECALL_AT_10: &str = "recall_at_10";
pub const HIT_AT_10: &str = "hit_at_10";
pub const MRR: &str = "mrr";
pub const NDCG_AT_10: &str = "ndcg_at_10";
pub const IN_SCOPE_ACCURACY: &str = "in_scope_accuracy";
pub const FALSE_ESCALATION_RATE: &str = "false_escalation_rate";
pub const OOS_RECALL: &str = "oos_recall";
pub const OOS_RECALL_OOD: &str = "oos_recall_ood";
pub const OOS_RECALL_ID: &str = "oos_recall_id";
pub const CROSS_LINGUAL_AGREEMENT: &str = "cross_lingual_agreement";
pub const ESCALATION_PRECISION: &str = "escalation_precision";
pub const ESCALATION_RECALL: &str = "escalation_recall";
pub const ESCALATION_F1: &str = "escalation_f1";
pub const ANSWERED_RATE: &str = "answered_rate";
pub const GROUNDED_ANSWER_RATE: &str = "grounded_answer_rate";
pub const SUPPORTED_SENTENCE_RATE: &str = "supported_sentence_rate";
pub const CITATION_PRECISION: &str = "citation_precision";
pub const ANSWER_F1: &str = "answer_f1";
pub const ANSWER_SIMILARITY: &str = "answer_similarity";
/// Customer-view answer quality (`metrics::answer` in the evals crate): over the answerable rows
/// the three add up to 1; `UNANSWERABLE_ANSWERED_RATE` is over the rows the knowledge base cannot
/// answer; `REPLY_LENGTH_P50_CHARS` is the median length of the answered replies.
pub const CORRECT_ANSWER_RATE: &str = "correct_answer_rate";
pub const WRONG_ANSWER_RATE: &str = "wrong_answer_rate";
pub const DECLINED_RATE: &str = "declined_rate";
pub const UNANSWERABLE_ANSWERED_RATE: &str = "unanswerable_answered_rate";
pub const REPLY_LENGTH_P50_CHARS: &str = "reply_length_p50_chars";
pub const CONTAINMENT_RATE: &str = "containment_rate";
pub const TASK_SUCCESS: &str = "task_success";
/// Actions suites run several times per task: the share of tasks passed in every run
/// (tau-bench's pass^k, k = the suite's runs).
pub const PASS_HAT_K: &str = "pass_hat_k";
/// Simulated customers: the share of conversations where the customer left its scenario, and
/// where it ended the conversation itself.
pub const CUSTOMER_DEPARTURE_RATE: &str = "customer_departure_rate";
pub const CUSTOMER_ENDED_RATE: &str = "customer_ended_rate";
pub const CASE_PASS_RATE: &str = "case_pass_rate";
pub const LATENCY_P50_MS: &str = "latency_p50_ms";
pub const LATENCY_P95_MS: &str = "latency_p95_ms";
pub const LATENCY_P99_MS: &str = "latency_p99_ms";
pub const TTFT_P50_MS: &str = "ttft_p50_ms";
pub const TTFT_P95_MS: &str = "ttft_p95_ms";
/// Answer sources whose latencies are also reported apart, as `<source>_<latency metric>`
/// (`direct_latency_p95_ms`, `generated_ttft_p50_ms`); the names are `AnswerSource`'s.
pub const LATENCY_SOURCES: &[&str] = &["direct", "generated", "extractive"];
