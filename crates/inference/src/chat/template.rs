//! Renders a conversation with the GGUF's own Jinja chat template, so prompts look exactly like
//! the ones the model was tuned on.

use frontdesk_core::{ChatMessage, InferenceError};
use minijinja::{Environment, Error, ErrorKind};

pub(crate) struct ChatTemplate {
    env: Environment<'static>,
    bos_token: String,
    eos_token: String,
}

/// Used when a GGUF has no template: ChatML, which both supported families understand.
const CHATML: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

fn raise_exception(msg: String) -> Result<String, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, msg))
}

impl ChatTemplate {
    pub fn new(
        source: Option<&str>,
        bos_token: &str,
        eos_token: &str,
    ) -> Result<Self, InferenceError> {
        let mut env = Environment::new();
        // HF templates call Python string methods (`.strip()`, `.startswith()`) and `raise_exception`.
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_template_owned("chat", source.unwrap_or(CHATML).to_string())
            .map_err(|e| {
                InferenceError::Backend(format!("the model's chat template does not parse: {e}"))
            })?;
        Ok(Self {
            env,
            bos_token: bos_token.into(),
            eos_token: eos_token.into(),
        })
    }

    pub fn render(&self, messages: &[ChatMessage]) -> Result<String, InferenceError> {
        let tmpl = self
            .env
            .get_template("chat")
            .map_err(|e| InferenceError::Backend(e.to_string()))?;
        tmpl.render(minijinja::context! {
            messages => messages,
            add_generation_prompt => true,
            bos_token => self.bos_token,
            eos_token => self.eos_token,
        })
        .map_err(|e| {
            InferenceError::InvalidInput(format!(
                "the chat template rejected the conversation: {e}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Qwen2.5 template as shipped in the GGUF (tool branches trimmed to what they exercise).
    const QWEN: &str = "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}{%- endif %}{%- for message in messages %}{%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or (message.role == \"assistant\") %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endif %}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";
    const PY: &str = "{% for m in messages %}{{ m.content.strip().upper() }}{% if m.content.startswith('x') %}!{% endif %}|{% endfor %}";
    const RAISE: &str = "{% if messages[0].role != 'user' %}{{ raise_exception('first must be user') }}{% endif %}ok";

    #[test]
    fn renders_table() {
        let sys_user = vec![ChatMessage::system("Be brief."), ChatMessage::user("Hi")];
        let user_only = vec![ChatMessage::user("Hi")];
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            Vec<ChatMessage>,
            Result<&'a str, &'a str>,
        );
        let cases: Vec<Case> = vec![
            (
                "qwen with system",
                Some(QWEN),
                sys_user.clone(),
                Ok("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"),
            ),
            (
                "qwen default system",
                Some(QWEN),
                user_only.clone(),
                Ok("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"),
            ),
            ("no template falls back to chatml", None, user_only.clone(), Ok("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")),
            ("python string methods", Some(PY), vec![ChatMessage::user("  xy ")], Ok("XY|")),
            ("raise_exception surfaces", Some(RAISE), sys_user.clone(), Err("first must be user")),
            ("raise_exception not triggered", Some(RAISE), user_only.clone(), Ok("ok")),
        ];
        for (name, src, msgs, want) in cases {
            let t = ChatTemplate::new(src, "<s>", "</s>").expect(name);
            match (t.render(&msgs), want) {
                (Ok(got), Ok(w)) => assert_eq!(got, w, "{name}"),
                (Err(e), Err(w)) => assert!(e.to_string().contains(w), "{name}: {e}"),
                (got, w) => panic!("{name}: got {got:?}, want {w:?}"),
            }
        }
    }
}
