//! `frontdesk chat`: a terminal conversation with the engine over the configured knowledge base.
//! Streams reply tokens as they come, then the citations and any handoff notice.

use super::stack::{Stack, StackOptions};
use anyhow::Context;
use frontdesk_core::assistant::AssistantError;
use frontdesk_core::{Assistant, Channel, Config, ConversationState, Lang, TurnEvent};
use std::io::{BufRead, Write};
use std::process::ExitCode;
use tokio::sync::mpsc;

#[derive(clap::Args)]
pub struct ChatArgs {
    /// Answer one message and exit (non-interactive).
    #[arg(long, value_name = "MESSAGE")]
    once: Option<String>,
    /// Do not load the chat LM: direct and extractive answers only.
    #[arg(long)]
    no_llm: bool,
    /// Print each turn's decision, source, intent and latency on stderr.
    #[arg(long)]
    verbose: bool,
}

const HELP: &str =
    "Commands: /lang en|sr-Cyrl|sr-Latn (switch reply language), /reset (new conversation), /quit";

pub fn run(mut config: Config, args: ChatArgs) -> anyhow::Result<ExitCode> {
    if args.no_llm {
        config.engine.use_llm = false;
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let interactive = args.once.is_none();
        if interactive {
            eprintln!("loading models and the knowledge index…");
        }
        let stack = Stack::load(
            config,
            StackOptions {
                with_chat: !args.no_llm,
                progress: interactive,
            },
        )
        .await?;
        let mut state = new_state();
        if let Some(message) = args.once {
            turn(&stack, &mut state, &message, args.verbose).await?;
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("{HELP}");
        let stdin = std::io::stdin();
        loop {
            print!("you> ");
            std::io::stdout().flush().ok();
            let mut line = String::new();
            if stdin.lock().read_line(&mut line).context("reading stdin")? == 0 {
                break;
            }
            let line = line.trim();
            match line {
                "" => continue,
                "/quit" | "/exit" => break,
                "/reset" => {
                    state = new_state();
                    println!("(new conversation)");
                    continue;
                }
                "/help" => {
                    println!("{HELP}");
                    continue;
                }
                _ => {}
            }
            if let Some(code) = line.strip_prefix("/lang") {
                match code.trim().parse::<Lang>() {
                    Ok(lang) => {
                        state.lang = Some(lang);
                        println!("(language: {lang})");
                    }
                    Err(e) => println!("{e}"),
                }
                continue;
            }
            turn(&stack, &mut state, line, args.verbose).await?;
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn new_state() -> ConversationState {
    ConversationState::new(format!("cli-{}", std::process::id()), Channel::Chat)
}

async fn turn(
    stack: &Stack,
    state: &mut ConversationState,
    message: &str,
    verbose: bool,
) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::channel(256);
    let printer = tokio::spawn(async move {
        let mut out = std::io::stdout();
        let _ = write!(out, "bot> ");
        let mut citations = Vec::new();
        while let Some(ev) = rx.recv().await {
            match ev {
                TurnEvent::Token(t) => {
                    let _ = write!(out, "{t}");
                    let _ = out.flush();
                }
                TurnEvent::Citation(c) => citations.push(c),
                TurnEvent::Action(a) => {
                    let _ = write!(out, "\n  (action {}: {})\n     ", a.action, a.state);
                }
                TurnEvent::Handoff(h) => {
                    let _ = write!(
                        out,
                        "\n  ── handed over to a human ({}) ──\n{}",
                        h.reason.as_str(),
                        indent(&h.summary)
                    );
                }
                TurnEvent::AgentMessage { text, agent } => {
                    let _ = write!(out, "\n{agent}> {text}");
                }
                TurnEvent::Error(e) => {
                    let _ = write!(out, "\n  error: {e}");
                }
                TurnEvent::Done(_) => {}
            }
        }
        let _ = writeln!(out);
        for c in citations {
            let url = c.url.map(|u| format!(" — {u}")).unwrap_or_default();
            let _ = writeln!(out, "  [{}] {}{url}", c.index, c.title);
        }
    });
    let result = stack.engine.respond(state, message, tx).await;
    printer.await.context("printing the reply")?;
    match result {
        Ok(outcome) => {
            if verbose {
                eprintln!(
                    "  · decision {:?}, source {:?}, intent {}, lang {}, {} ms (first token {} ms)",
                    outcome.decision,
                    outcome.source,
                    outcome.intent.as_deref().unwrap_or("-"),
                    outcome.lang,
                    outcome.latency_ms,
                    outcome.ttft_ms.map_or("-".into(), |t| t.to_string()),
                );
            }
        }
        Err(AssistantError::NotWithBot(status)) => {
            println!("  (the conversation is {status}: a human agent will answer here; /reset to start over)");
        }
        Err(e) => println!("  error: {e}"),
    }
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}
