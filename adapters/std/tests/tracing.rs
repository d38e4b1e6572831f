//! With the `tracing` feature, a request's span carries its attempts, the time it waited and
//! the policy that bound, and its URL without credentials.
#![cfg(feature = "tracing")]

use headroom_std::RequestSpan;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

#[derive(Clone, Default)]
struct Fields(Arc<Mutex<Vec<(String, String)>>>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut all = self.0.lock().unwrap();
        all.push((field.name().to_string(), format!("{value:?}")));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Fields {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        let mut me = self.clone();
        me.0.lock()
            .unwrap()
            .push(("span".into(), attrs.metadata().name().into()));
        attrs.record(&mut me);
    }
    fn on_record(&self, _: &Id, values: &Record<'_>, _: Context<'_, S>) {
        values.record(&mut self.clone());
    }
}

#[test]
fn a_span_per_request_with_waits_attempts_and_the_binding_policy() {
    let fields = Fields::default();
    let subscriber = tracing_subscriber::registry().with(fields.clone());
    tracing::subscriber::with_default(subscriber, || {
        let span = RequestSpan::new("GET", "https://me:s3cret@api.example/v1/lists");
        span.waited(1500, &"the 1m window (60 requests) is full");
        span.attempts(2);
    });
    let seen = fields.0.lock().unwrap().clone();
    let get = |name: &str| {
        seen.iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("span"), "headroom.request");
    assert_eq!(get("method"), "\"GET\"");
    assert_eq!(get("url"), "https://***@api.example/v1/lists");
    assert_eq!(get("attempts"), "2");
    assert_eq!(get("waited_ms"), "1500");
    assert!(get("bound_by").contains("1m window"), "{seen:?}");
    assert!(!format!("{seen:?}").contains("s3cret"));
}
