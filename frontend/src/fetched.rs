//! An answer a view asks the portal for: asked when the view opens, again whenever a signal the
//! request reads changes, and on [`Fetched::refetch`]. `None` until the first answer arrives;
//! the previous answer stays while a new one is on its way, and an older request's answer never
//! replaces a newer one's. Leptos's `LocalResource` does the same through an async-derived
//! signal whose machinery is compiled once per answer type: replacing the eight of them took
//! 12.8 KB off the bundle's gzip.

use std::future::Future;

use leptos::prelude::*;

pub struct Fetched<T: 'static> {
    answer: RwSignal<Option<T>, LocalStorage>,
    asked: RwSignal<u64>,
}

impl<T: 'static> Clone for Fetched<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for Fetched<T> {}

impl<T: Clone + 'static> Fetched<T> {
    pub fn new<Request>(ask: impl Fn() -> Request + 'static) -> Self
    where
        Request: Future<Output = T> + 'static,
    {
        let answer = RwSignal::new_local(None);
        let asked = RwSignal::new(0_u64);
        let latest = StoredValue::new(0_u64);
        Effect::new(move |_| {
            asked.track();
            let request = ask();
            let number = latest.get_value() + 1;
            latest.set_value(number);
            leptos::task::spawn_local(async move {
                let arrived = request.await;
                // The view may have closed meanwhile; then nobody reads the answer.
                if latest.try_get_value() == Some(number) {
                    answer.try_set(Some(arrived));
                }
            });
        });
        Self { answer, asked }
    }

    pub fn get(&self) -> Option<T> {
        self.answer.get()
    }

    pub fn with<R>(&self, read: impl FnOnce(&Option<T>) -> R) -> R {
        self.answer.with(read)
    }

    pub fn refetch(&self) {
        self.asked.update(|n| *n += 1);
    }
}
