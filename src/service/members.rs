//! `/forget-me`: a member's data, counted and deleted on request.

use super::{ServiceError, Services};
use crate::domain::study::Scope;

impl Services {
    /// Distinct questions the member has rated in this scope, for the
    /// confirmation ("this deletes N questions studied").
    pub async fn studied_count(&self, scope: Scope, user_id: u64) -> Result<u64, ServiceError> {
        Ok(self.store.studied_count(scope, user_id).await?)
    }

    /// Deletes the member's ratings and everything derived from them, in
    /// one scope or everywhere (`None`). Returns the rating rows removed.
    pub async fn forget_member(&self, scope: Option<Scope>, user_id: u64) -> Result<u64, ServiceError> {
        Ok(self.store.forget_member(scope, user_id).await?)
    }
}
