//! The actions a flow carries out, grouped by what they change.

mod address;
mod items;
mod orders;
mod shopping;

use super::*;
pub(super) use address::{change_address, AddressTarget};
pub(super) use items::{change_items, return_items};
pub(super) use orders::order_action;
#[cfg(test)]
pub(super) use orders::refused_action;
pub(super) use orders::status;
pub(super) use shopping::{place_order, recommend};
