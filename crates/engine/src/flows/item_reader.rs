//! Which item of an order a message means, when no item's name shares a word with it
//! ("štapovi" for the trekking poles, "the thing I sleep in" for the sleeping bag): the item
//! whose name is nearest the message in the embedder's multilingual space, if it is clearly
//! nearer than every other item of the order.
//!
//! The rules (`matching`) run first; this reader is asked only when they found nothing and the
//! order has several items. It only narrows the choice to what the order holds, and the plan
//! it leads to is shown for confirmation before anything is written.
//!
//! Measured on `evals/item-choice` (messages that name an item in other words, in English and
//! both Serbian scripts; the margin chosen on the dev half, `examples/item_choice_eval.rs`):
//! the chat model asked to choose an item's name under a JSON constraint did worse (the 0.5B
//! model drifted to the last item listed or to "none"; the 1.5B model took two seconds and
//! missed most Serbian messages), so the choice is made by the embedder.

use async_trait::async_trait;
use frontdesk_core::commerce::Order;
use frontdesk_core::embed::dot;
use frontdesk_core::{EmbedKind, Embedder, Lang, Translator};
use std::sync::Arc;

/// How much nearer the best item's name must be than the runner-up's (cosine). Chosen on
/// `evals/item-choice/dev.jsonl`: above it 10 of 11 picks were right (the eleventh one of two
/// items meant), below it fewer than half.
pub const DEFAULT_MARGIN: f32 = 0.008;

/// Reads which of an order's items a customer's message is about.
#[async_trait]
pub trait ItemReader: Send + Sync {
    /// The item ids meant by `message`, written in `lang`, in the order's order; empty when the
    /// reader cannot tell (the flow then asks).
    async fn items_meant(&self, message: &str, lang: Lang, order: &Order) -> Vec<String>;
}

/// [`ItemReader`] by embedding the message and the items' names.
pub struct EmbeddingItemReader {
    embedder: Arc<dyn Embedder>,
    margin: f32,
    /// Where one is configured, a message in another language than English is also read in its
    /// English translation, the language shops name their products in.
    translator: Option<Arc<dyn Translator>>,
}

impl EmbeddingItemReader {
    pub fn new(embedder: Arc<dyn Embedder>, margin: f32) -> Self {
        Self {
            embedder,
            margin,
            translator: None,
        }
    }

    pub fn with_translator(mut self, translator: Option<Arc<dyn Translator>>) -> Self {
        self.translator = translator;
        self
    }

    /// The message's English translation, when it is not English and a translator has the
    /// pair; a failed translation is a warning and leaves the message as it is.
    async fn in_english(&self, message: &str, lang: Lang) -> Option<String> {
        let t = self.translator.as_ref()?;
        if lang == Lang::En || !t.translates(lang, Lang::En) {
            return None;
        }
        match t.translate(message, lang, Lang::En).await {
            Ok(english) if !english.trim().is_empty() => Some(english),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(error = %e, "translating an item message failed");
                None
            }
        }
    }
}

/// The distinct names of an order's items (an order can hold the same product twice).
fn names(order: &Order) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::with_capacity(order.items.len());
    for it in &order.items {
        if !out.contains(&it.name.as_str()) {
            out.push(&it.name);
        }
    }
    out
}

/// The name whose score leads the others by at least `margin`.
fn clear_winner<'a>(names: &[&'a str], scores: &[f32], margin: f32) -> Option<&'a str> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    match order.as_slice() {
        [best, second, ..] if scores[*best] - scores[*second] >= margin => Some(names[*best]),
        _ => None,
    }
}

#[async_trait]
impl ItemReader for EmbeddingItemReader {
    async fn items_meant(&self, message: &str, lang: Lang, order: &Order) -> Vec<String> {
        let names = names(order);
        if names.len() < 2 || message.trim().is_empty() {
            return vec![];
        }
        let mut views = vec![message.to_string()];
        views.extend(self.in_english(message, lang).await);
        let vectors = async {
            let q = self.embedder.embed(views, EmbedKind::Query).await?;
            let items = self
                .embedder
                .embed(
                    names.iter().map(|n| n.to_string()).collect(),
                    EmbedKind::Passage,
                )
                .await?;
            Ok::<_, frontdesk_core::InferenceError>((q, items))
        };
        let (q, items) = match vectors.await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "item reader unavailable; asking the customer");
                return vec![];
            }
        };
        if q.is_empty() {
            return vec![];
        }
        // Each item by its mean cosine over the message's views (as written, and in English).
        let scores: Vec<f32> = items
            .iter()
            .map(|v| q.iter().map(|view| dot(view, v)).sum::<f32>() / q.len() as f32)
            .collect();
        let Some(name) = clear_winner(&names, &scores, self.margin) else {
            return vec![];
        };
        order
            .items
            .iter()
            .filter(|it| it.name == name)
            .map(|it| it.item_id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_core::commerce::OrderItem;
    use frontdesk_core::testing::HashEmbedder;

    pub(crate) fn order(names: &[&str]) -> Order {
        let mut o: Order = serde_json::from_value(serde_json::json!({
            "order_id": "#W1", "user_id": "u", "address": {"address1": "", "address2": "",
            "city": "", "country": "", "state": "", "zip": ""},
            "items": [], "status": "delivered"
        }))
        .expect("order");
        o.items = names
            .iter()
            .enumerate()
            .map(|(i, n)| OrderItem {
                name: n.to_string(),
                product_id: format!("p{i}"),
                item_id: format!("i{i}"),
                price: 10.0,
                options: Default::default(),
            })
            .collect();
        o
    }

    #[test]
    fn only_a_clear_lead_chooses() {
        let names = ["Tent", "Poles", "Stove"];
        // (scores, margin, chosen)
        let cases: [(&[f32], f32, Option<&str>); 4] = [
            (&[0.80, 0.85, 0.70], 0.01, Some("Poles")),
            (&[0.80, 0.805, 0.70], 0.01, None),
            (&[0.80, 0.805, 0.70], 0.0, Some("Poles")),
            (&[0.9], 0.0, None),
        ];
        for (scores, margin, want) in cases {
            assert_eq!(
                clear_winner(&names[..scores.len()], scores, margin),
                want,
                "{scores:?}"
            );
        }
    }

    #[tokio::test]
    async fn the_item_nearest_the_message_is_chosen_with_every_copy_of_it() {
        let reader = EmbeddingItemReader::new(Arc::new(HashEmbedder::new(1024)), DEFAULT_MARGIN);
        let o = order(&["Dome Tent", "Ridge Trekking Poles", "Dome Tent"]);
        assert_eq!(
            reader
                .items_meant("the trekking poles came bent", Lang::En, &o)
                .await,
            ["i1"]
        );
        assert_eq!(
            reader.items_meant("the tent is torn", Lang::En, &o).await,
            ["i0", "i2"]
        );
        // One distinct item: nothing to choose between, the rules decide.
        assert!(reader
            .items_meant("the tent is torn", Lang::En, &order(&["Dome Tent"]))
            .await
            .is_empty());
    }

    /// Translates the one Serbian sentence it knows; fails on anything else.
    struct OneSentence;

    #[async_trait]
    impl Translator for OneSentence {
        fn translates(&self, from: Lang, to: Lang) -> bool {
            from.is_serbian() && to == Lang::En
        }
        async fn translate(
            &self,
            text: &str,
            _from: Lang,
            _to: Lang,
        ) -> Result<String, frontdesk_core::TranslationError> {
            match text {
                "vraćam ranac" => Ok("I am returning the backpack".into()),
                _ => Err(frontdesk_core::TranslationError::Failed("unknown".into())),
            }
        }
    }

    #[tokio::test]
    async fn a_message_in_serbian_is_also_read_in_its_english_translation() {
        let o = order(&["Trail Backpack", "Camp Stove"]);
        let plain = EmbeddingItemReader::new(Arc::new(HashEmbedder::new(1024)), DEFAULT_MARGIN);
        let translating =
            EmbeddingItemReader::new(Arc::new(HashEmbedder::new(1024)), DEFAULT_MARGIN)
                .with_translator(Some(Arc::new(OneSentence)));
        // The Serbian words share nothing with the names; the translation does.
        assert!(plain
            .items_meant("vraćam ranac", Lang::SrLatn, &o)
            .await
            .is_empty());
        assert_eq!(
            translating
                .items_meant("vraćam ranac", Lang::SrLatn, &o)
                .await,
            ["i0"]
        );
        // An English message is not translated; a failed translation leaves the message alone.
        assert_eq!(
            translating
                .items_meant("the backpack strap broke", Lang::En, &o)
                .await,
            ["i0"]
        );
        assert!(translating
            .items_meant("nešto drugo", Lang::SrLatn, &o)
            .await
            .is_empty());
    }
}
