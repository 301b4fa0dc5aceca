pub mod admin;
pub mod customer;
pub mod openai;
pub mod ops;
pub mod privacy;
pub mod voice;
