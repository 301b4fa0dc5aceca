//! The plan stated exactly, the explicit yes, the one execution (`AuditLog::execute_once`:
//! idempotent per key, atomic with its audit row where the backend can), and the approval
//! hand-off for refunds above the policy's limit.

use super::*;

pub(super) fn confirm(mut turn: Turn<'_, '_>, fs: &mut FlowState, plan: Plan) -> FlowOutcome {
    turn.events.push(event(
        plan.call.name(),
        "awaiting_confirmation",
        plan.call.arguments(),
    ));
    let text = match plan.approval_amount {
        Some(amount) => turn.say(
            "confirm_approval",
            &[
                ("plan", &plan.summary),
                ("amount", &money(amount, turn.ctx.policy)),
            ],
        ),
        None => turn.say("confirm", &[("plan", &plan.summary)]),
    };
    fs.confirming = Some(plan);
    fs.ask(Slot::Confirmation);
    turn.reply(text, false)
}

pub(super) async fn execute(
    mut turn: Turn<'_, '_>,
    state: &mut ConversationState,
    plan: Plan,
    customer: &Customer,
) -> FlowOutcome {
    let ctx = turn.ctx;
    state.flow = None;
    let (action, args) = (plan.call.name(), plan.call.arguments());
    let result = match ctx.audit {
        Some(a) => a
            .execute_once(ctx.commerce, ctx.conversation_id, &plan.call)
            .await
            .map(|done| {
                if let Some(e) = done.unrecorded {
                    tracing::error!(error = %e, action = %action, "audit log write failed after executing an action");
                }
                done.result
            }),
        None => execute_action(ctx.commerce, &plan.call).await,
    };
    match result {
        Ok(r) => {
            turn.events.push(event(action, "completed", args.clone()));
            let status = r
                .get("status")
                .and_then(|s| s.as_str())
                .map(|s| format!(" (status: {s})"))
                .unwrap_or_default();
            let text = turn.say("done", &[("result", &format!("{}{status}", plan.summary))]);
            let _ = customer;
            let executed = vec![ExecutedAction {
                name: action.to_string(),
                arguments: args,
                result: r,
            }];
            turn.outcome(text, true, executed, None)
        }
        Err(e) => {
            turn.events
                .push(event(action, "failed", json!({ "error": e.to_string() })));
            let text = turn.say("failed", &[("error", &error_text(&e))]);
            turn.reply(text, true)
        }
    }
}

pub(super) fn needs_approval(
    mut turn: Turn<'_, '_>,
    customer: &Customer,
    plan: Plan,
    amount: f64,
) -> FlowOutcome {
    let policy = turn.ctx.policy;
    turn.events.push(event(
        plan.call.name(),
        "needs_approval",
        plan.call.arguments(),
    ));
    let summary = format!(
        "{} {} ({}) asks to: {}. Refund {} exceeds the approval limit {}. Arguments: {}",
        customer.name.first_name,
        customer.name.last_name,
        customer.user_id,
        plan.summary,
        money(amount, policy),
        money(policy.refund_approval_limit, policy),
        plan.call.arguments()
    );
    let text = turn.say("needs_approval", &[("amount", &money(amount, policy))]);
    let handoff = HandoffInfo {
        reason: EscalationReason::NeedsApproval,
        summary,
    };
    turn.outcome(text, true, Vec::new(), Some(handoff))
}

pub(super) fn over_limit(policy: &CommercePolicy, amount: f64) -> bool {
    policy.refund_approval_limit > 0.0 && amount > policy.refund_approval_limit
}
