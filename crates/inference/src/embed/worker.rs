//! One worker thread per embedding model behind a bounded queue. A full queue answers
//! `Overloaded` at once instead of letting latency grow without bound; the worker folds whatever
//! requests are waiting into one batch, which is where the throughput comes from.

use async_trait::async_trait;
use frontdesk_core::{EmbedKind, Embedder, EmbedderInfo, InferenceError};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use tokio::sync::oneshot;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedWorkerOptions {
    /// CPU threads for the forward pass (the kernels' pool is process-wide: the first model
    /// loaded sizes it).
    pub threads: usize,
    /// Requests waiting behind the running batch; one more answers `Overloaded`.
    pub queue: usize,
    /// Most texts run as one forward pass.
    pub max_batch: usize,
}

impl Default for EmbedWorkerOptions {
    fn default() -> Self {
        Self {
            threads: 2,
            queue: 64,
            max_batch: 32,
        }
    }
}

/// What the worker thread drives: a loaded model that embeds a batch of prefixed-by-kind texts.
pub(crate) trait Backend: Send + 'static {
    fn embed_batch(&mut self, texts: &[(&str, EmbedKind)])
        -> Result<Vec<Vec<f32>>, InferenceError>;
}

type Reply = oneshot::Sender<Result<Vec<Vec<f32>>, InferenceError>>;

struct Job {
    texts: Vec<String>,
    kind: EmbedKind,
    reply: Reply,
}

struct Inner {
    tx: SyncSender<Job>,
    info: EmbedderInfo,
    capacity: usize,
}

/// Async handle to an embedding model on its worker thread. Cheap to clone; the thread ends
/// when the last handle is dropped.
#[derive(Clone)]
pub struct EmbedderHandle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for EmbedderHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbedderHandle")
            .field("info", &self.inner.info)
            .finish()
    }
}

pub(crate) fn spawn<B: Backend>(
    backend: B,
    info: EmbedderInfo,
    opts: &EmbedWorkerOptions,
) -> Result<EmbedderHandle, InferenceError> {
    let capacity = opts.queue.max(1);
    let max_batch = opts.max_batch.max(1);
    let (tx, rx) = sync_channel::<Job>(capacity);
    std::thread::Builder::new()
        .name(format!("embed-{}", info.model_id))
        .spawn(move || worker_loop(backend, rx, max_batch))
        .map_err(|e| {
            InferenceError::Backend(format!("cannot start the embedding worker thread: {e}"))
        })?;
    Ok(EmbedderHandle {
        inner: Arc::new(Inner { tx, info, capacity }),
    })
}

fn worker_loop<B: Backend>(mut backend: B, rx: Receiver<Job>, max_batch: usize) {
    while let Ok(first) = rx.recv() {
        let mut queued = first.texts.len();
        let mut jobs = vec![first];
        while queued < max_batch {
            match rx.try_recv() {
                Ok(job) => {
                    queued += job.texts.len();
                    jobs.push(job);
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        // A caller that gave up (timeout, disconnect) should not cost a forward pass.
        jobs.retain(|j| !j.reply.is_closed());
        run_jobs(&mut backend, jobs, max_batch);
    }
}

fn run_jobs<B: Backend>(backend: &mut B, jobs: Vec<Job>, max_batch: usize) {
    let items: Vec<(&str, EmbedKind)> = jobs
        .iter()
        .flat_map(|j| j.texts.iter().map(move |t| (t.as_str(), j.kind)))
        .collect();
    let mut vectors = Vec::with_capacity(items.len());
    let mut failure = None;
    for chunk in items.chunks(max_batch) {
        match backend.embed_batch(chunk) {
            Ok(v) if v.len() == chunk.len() => vectors.extend(v),
            Ok(v) => {
                failure = Some(InferenceError::Backend(format!(
                    "{} vectors for {} texts",
                    v.len(),
                    chunk.len()
                )));
                break;
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let mut vectors = vectors.into_iter();
    for job in jobs {
        let answer = match &failure {
            Some(e) => Err(e.clone()),
            None => Ok(vectors.by_ref().take(job.texts.len()).collect()),
        };
        // The caller may have gone away meanwhile; nothing to do then.
        let _ = job.reply.send(answer);
    }
}

#[async_trait]
impl Embedder for EmbedderHandle {
    fn info(&self) -> EmbedderInfo {
        self.inner.info.clone()
    }

    async fn embed(
        &self,
        texts: Vec<String>,
        kind: EmbedKind,
    ) -> Result<Vec<Vec<f32>>, InferenceError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, rx) = oneshot::channel();
        match self.inner.tx.try_send(Job { texts, kind, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(InferenceError::Overloaded {
                    model: self.inner.info.model_id.clone(),
                    capacity: self.inner.capacity,
                })
            }
            Err(TrySendError::Disconnected(_)) => return Err(InferenceError::WorkerGone),
        }
        rx.await.map_err(|_| InferenceError::WorkerGone)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::sync::Mutex;

    /// Embeds a text as [len, batch size]; blocks each batch until the test releases it.
    struct Gated {
        gate: Arc<Mutex<mpsc::Receiver<()>>>,
        batches: mpsc::Sender<usize>,
    }

    impl Backend for Gated {
        fn embed_batch(
            &mut self,
            texts: &[(&str, EmbedKind)],
        ) -> Result<Vec<Vec<f32>>, InferenceError> {
            let _ = self.batches.send(texts.len());
            let gate = self.gate.lock().map_err(|_| InferenceError::WorkerGone)?;
            gate.recv().map_err(|_| InferenceError::WorkerGone)?;
            Ok(texts
                .iter()
                .map(|(t, _)| vec![t.len() as f32, texts.len() as f32])
                .collect())
        }
    }

    const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

    fn info() -> EmbedderInfo {
        EmbedderInfo {
            model_id: "gated".into(),
            dim: 2,
            max_tokens: 8,
        }
    }

    fn gated(
        opts: &EmbedWorkerOptions,
    ) -> (EmbedderHandle, mpsc::Sender<()>, mpsc::Receiver<usize>) {
        let (open, gate) = mpsc::channel();
        let (batches, seen) = mpsc::channel();
        let h = spawn(
            Gated {
                gate: Arc::new(Mutex::new(gate)),
                batches,
            },
            info(),
            opts,
        )
        .expect("spawn");
        (h, open, seen)
    }

    // Multi-threaded: the test blocks on std channels while spawned tasks must keep running.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn full_queue_is_overloaded_at_once() {
        let (h, open, seen) = gated(&EmbedWorkerOptions {
            threads: 1,
            queue: 1,
            max_batch: 4,
        });
        let first = tokio::spawn({
            let h = h.clone();
            async move { h.embed(vec!["running".into()], EmbedKind::Query).await }
        });
        // The worker is now blocked inside the first batch.
        assert_eq!(seen.recv_timeout(WAIT).expect("first batch"), 1);
        // Poll the second request once: that enqueues it (the only queue slot) and leaves it
        // waiting for its answer.
        let mut second = h.embed(vec!["queued".into()], EmbedKind::Query);
        tokio::select! {
            biased;
            r = &mut second => panic!("the second request finished while the worker was blocked: {r:?}"),
            _ = std::future::ready(()) => {}
        }
        match h.embed(vec!["rejected".into()], EmbedKind::Query).await {
            Err(InferenceError::Overloaded { model, capacity }) => {
                assert_eq!((model.as_str(), capacity), ("gated", 1))
            }
            other => panic!("expected Overloaded, got {other:?}"),
        }
        open.send(()).expect("release first");
        open.send(()).expect("release second");
        assert_eq!(
            first.await.expect("join").expect("first"),
            vec![vec![7.0, 1.0]]
        );
        assert_eq!(second.await.expect("second"), vec![vec![6.0, 1.0]]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_requests_run_as_one_batch_in_order() {
        let (h, open, seen) = gated(&EmbedWorkerOptions {
            threads: 1,
            queue: 8,
            max_batch: 4,
        });
        let blocker = tokio::spawn({
            let h = h.clone();
            async move { h.embed(vec!["b".into()], EmbedKind::Passage).await }
        });
        assert_eq!(seen.recv_timeout(WAIT).expect("first batch"), 1);
        let mut waiting = Vec::new();
        for texts in [vec!["aa", "aaa"], vec!["a"], vec!["aaaa", "aaaaa"]] {
            let h = h.clone();
            let texts: Vec<String> = texts.into_iter().map(String::from).collect();
            waiting.push(tokio::spawn(async move {
                h.embed(texts, EmbedKind::Query).await
            }));
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        for _ in 0..3 {
            open.send(()).expect("release");
        }
        blocker.await.expect("join").expect("blocker");
        // 5 texts queued with max_batch 4: one batch of 4, then the last text alone.
        assert_eq!(seen.recv_timeout(WAIT).expect("batch"), 4);
        assert_eq!(seen.recv_timeout(WAIT).expect("batch"), 1);
        let got: Vec<Vec<Vec<f32>>> = {
            let mut v = Vec::new();
            for w in waiting {
                v.push(w.await.expect("join").expect("embed"));
            }
            v
        };
        let lens: Vec<Vec<f32>> = got
            .iter()
            .map(|r| r.iter().map(|x| x[0]).collect())
            .collect();
        assert_eq!(lens, vec![vec![2.0, 3.0], vec![1.0], vec![4.0, 5.0]]);
    }

    #[tokio::test]
    async fn empty_request_needs_no_worker() {
        let (h, _open, _seen) = gated(&EmbedWorkerOptions::default());
        assert!(h
            .embed(Vec::new(), EmbedKind::Query)
            .await
            .expect("empty")
            .is_empty());
    }
}
