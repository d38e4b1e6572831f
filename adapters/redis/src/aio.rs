//! The same steps for tokio programs (feature `tokio`), through redis-rs's
//! `ConnectionManager`: one multiplexed connection, reconnected when it fails, shared by every
//! task. The script, its arguments and the reading of its replies are the blocking API's.

use crate::error::Error;
use crate::store::{Acquired, RedisLimiter, RemoteGrant};
use headroom_core::{Cost, Key, Observation};
use redis::Value;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

impl RedisLimiter {
    /// [`RedisLimiter::try_acquire_with`], awaited instead of blocking.
    pub async fn try_acquire_with_async(&self, key: Key, cost: Cost) -> Result<Acquired, Error> {
        let reply = self.run_async(&self.acquire_args(key, cost)).await?;
        self.acquired(key, cost, &reply)
    }

    /// [`RedisLimiter::observe`], awaited instead of blocking.
    pub async fn observe_async<const P: usize>(
        &self,
        grant: RemoteGrant,
        obs: &Observation<P>,
    ) -> Result<(), Error> {
        let args = self.observe_args(grant, obs);
        self.run_async(&args).await.map(drop)
    }

    /// [`RedisLimiter::release`], awaited instead of blocking.
    pub async fn release_async(&self, grant: RemoteGrant) -> Result<(), Error> {
        let args = self.release_args(grant);
        self.run_async(&args).await.map(drop)
    }

    async fn run_async(&self, args: &[String]) -> Result<Value, Error> {
        let reply = self.call_async(args).await?;
        if let Some(readd) = self.readd_after(&reply) {
            self.call_async(&readd).await?;
        }
        Ok(reply)
    }

    async fn call_async(&self, args: &[String]) -> Result<Value, Error> {
        let mut manager = self.manager()?;
        let reply = self
            .invocation(args)
            .invoke_async::<Value>(&mut manager)
            .await;
        self.checked(reply)
    }

    /// The connection manager, made on first use (it needs the tokio runtime), with this
    /// limiter's timeout on every connect and reply.
    fn manager(&self) -> Result<ConnectionManager, Error> {
        if let Some(m) = self.manager.get() {
            return Ok(m.clone());
        }
        let timeout = std::time::Duration::from_millis(self.timeout.as_millis());
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1);
        let made = ConnectionManager::new_lazy_with_config(self.client.clone(), config)
            .map_err(|e| Error::from_redis(&e, self.secret.as_deref()))?;
        Ok(self.manager.get_or_init(|| made).clone())
    }
}
