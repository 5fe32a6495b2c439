//! Running a few futures at once (KV reads and writes of one request), their
//! outputs in order: what futures-util's `join_all` does, without its
//! machinery for thousands of futures (a tenth of its size in the wasm).

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

enum Slot<F: Future> {
    Running(Pin<Box<F>>),
    Done(Option<F::Output>),
}

/// Polls every future until all are done; each is polled again only while it
/// is running.
pub async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut slots: Vec<Slot<F>> = futures
        .into_iter()
        .map(|f| Slot::Running(Box::pin(f)))
        .collect();
    poll_fn(|cx| {
        let mut running = false;
        for slot in slots.iter_mut() {
            if let Slot::Running(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(output) => *slot = Slot::Done(Some(output)),
                    Poll::Pending => running = true,
                }
            }
        }
        if running {
            return Poll::Pending;
        }
        Poll::Ready(
            slots
                .iter_mut()
                .filter_map(|slot| match slot {
                    Slot::Done(output) => output.take(),
                    Slot::Running(_) => None,
                })
                .collect(),
        )
    })
    .await
}

/// Two futures at once.
pub async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (Box::pin(a), Box::pin(b));
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(|cx| {
        if out_a.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            out_a = Some(v);
        }
        if out_b.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            out_b = Some(v);
        }
        match (out_a.take(), out_b.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                (out_a, out_b) = (a, b);
                Poll::Pending
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    /// A future that is pending `n` times before it is ready with `value`.
    fn after(n: usize, value: u32, polls: Rc<Cell<usize>>) -> impl Future<Output = u32> {
        let mut left = n;
        poll_fn(move |cx| {
            polls.set(polls.get() + 1);
            if left == 0 {
                Poll::Ready(value)
            } else {
                left -= 1;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
    }

    fn run<F: Future>(future: F) -> F::Output {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    #[test]
    fn outputs_come_in_order_whatever_order_the_futures_finish_in() {
        let polls = Rc::new(Cell::new(0));
        let futures = [3, 0, 1].map(|n| after(n, n as u32 * 10, Rc::clone(&polls)));
        assert_eq!(run(join_all(futures)), [30, 0, 10]);
        assert_eq!(
            polls.get(),
            4 + 1 + 2,
            "a finished future is not polled again"
        );
        assert!(run(join_all(Vec::<std::future::Ready<u8>>::new())).is_empty());
        let polls = Rc::new(Cell::new(0));
        let both = join(
            after(2, 1, Rc::clone(&polls)),
            after(0, 2, Rc::clone(&polls)),
        );
        assert_eq!(run(both), (1, 2));
        assert_eq!(polls.get(), 3 + 1);
    }
}
