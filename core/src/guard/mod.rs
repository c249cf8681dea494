//! Guards around the expensive parts: a rate limiter per user and circuit breakers around
//! generation, embedding and search.

pub mod air_gap;
mod breaker;
mod rate;

pub use breaker::{Breaker, BreakerState, BreakerStatus};
pub use rate::{RateLimited, RateLimiter, RateUsage};
