//! The handset pool: which lab handsets are free, and binding a case's parties to them.

use std::collections::BTreeSet;
use tokio::sync::Notify;

/// Free/busy bookkeeping for the lab's handsets, by index into the lab's handset list.
#[derive(Debug)]
pub struct Pool {
    inner: std::sync::Mutex<Inner>,
    released: Notify,
}

#[derive(Debug)]
struct Inner {
    free: BTreeSet<usize>,
    /// Handsets not retired: free or reserved.
    alive: usize,
}

/// Handsets reserved for one case; they go back to the pool when this is dropped.
#[derive(Debug)]
pub struct Reservation<'a> {
    pool: &'a Pool,
    /// The reserved handsets, in party order.
    pub handsets: Vec<usize>,
    retired: usize,
}

impl Pool {
    /// A pool of `size` handsets, all free.
    pub fn new(size: usize) -> Pool {
        Pool {
            inner: std::sync::Mutex::new(Inner {
                free: (0..size).collect(),
                alive: size,
            }),
            released: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many handsets are still usable (not retired), free or not.
    pub fn alive(&self) -> usize {
        self.lock().alive
    }

    /// Takes `count` free handsets now, lowest index first, or `None` if too few are free.
    pub fn try_reserve(&self, count: usize) -> Option<Reservation<'_>> {
        let mut inner = self.lock();
        let free = &mut inner.free;
        if free.len() < count {
            return None;
        }
        let handsets: Vec<usize> = free.iter().copied().take(count).collect();
        for h in &handsets {
            free.remove(h);
        }
        Some(Reservation {
            pool: self,
            handsets,
            retired: 0,
        })
    }

    /// Waits until `count` handsets are free and takes them; `None` once fewer than `count`
    /// usable handsets are left, so a case never waits for handsets that cannot come.
    pub async fn reserve(&self, count: usize) -> Option<Reservation<'_>> {
        loop {
            let notified = self.released.notified();
            if count > self.alive() {
                return None;
            }
            if let Some(r) = self.try_reserve(count) {
                return Some(r);
            }
            notified.await;
        }
    }

    fn release(&self, handsets: &[usize], retired: usize) {
        let mut inner = self.lock();
        inner.free.extend(handsets.iter().copied());
        inner.alive -= retired;
        drop(inner);
        self.released.notify_waiters();
    }
}

impl Reservation<'_> {
    /// Keeps a handset out of the pool for good (it went offline): it is not released.
    pub fn retire(&mut self, handset: usize) {
        let before = self.handsets.len();
        self.handsets.retain(|&h| h != handset);
        self.retired += before - self.handsets.len();
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.pool.release(&self.handsets, self.retired);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_disjoint_and_return_on_drop() {
        let pool = Pool::new(4);
        let a = pool.try_reserve(2).expect("two free");
        let b = pool.try_reserve(2).expect("two more free");
        assert!(a.handsets.iter().all(|h| !b.handsets.contains(h)));
        assert!(pool.try_reserve(1).is_none());
        drop(a);
        let c = pool
            .try_reserve(2)
            .expect("released handsets are free again");
        assert_eq!(c.handsets, vec![0, 1]);
    }

    #[test]
    fn retired_handsets_never_come_back() {
        let pool = Pool::new(3);
        let mut a = pool.try_reserve(2).unwrap();
        a.retire(1);
        drop(a);
        let b = pool.try_reserve(2).expect("0 and 2 are free");
        assert_eq!(b.handsets, vec![0, 2]);
        assert!(pool.try_reserve(1).is_none(), "handset 1 stays out");
        assert_eq!(pool.alive(), 2);
    }

    #[tokio::test]
    async fn reserve_gives_up_when_too_few_handsets_are_left() {
        let pool = Pool::new(2);
        let mut a = pool.try_reserve(2).unwrap();
        a.retire(0);
        drop(a);
        assert!(pool.reserve(2).await.is_none());
        assert!(pool.reserve(1).await.is_some());
    }

    #[tokio::test]
    async fn reserve_waits_for_a_release() {
        let pool = std::sync::Arc::new(Pool::new(2));
        let first = pool.try_reserve(2).unwrap();
        let p2 = pool.clone();
        let waiter = tokio::spawn(async move { p2.reserve(2).await.unwrap().handsets.clone() });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        drop(first);
        let got = tokio::time::timeout(std::time::Duration::from_secs(2), waiter)
            .await
            .expect("reserve wakes up")
            .unwrap();
        assert_eq!(got, vec![0, 1]);
    }
}
