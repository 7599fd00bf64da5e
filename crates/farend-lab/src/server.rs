//! TCP listeners that can be closed on demand, together with every connection they accepted.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Most connections one listener serves at once: a host that opens more is refused (the
/// new connection is closed at once) and the ones already open go on.
pub const MAX_CONNECTIONS: usize = 32;

/// A listening socket served by its own accept thread.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    conns: Arc<Mutex<HashMap<u64, TcpStream>>>,
}

/// The address to connect to in order to reach a listener bound to `addr`.
pub fn connectable(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(v) if v.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v) if v.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

impl Server {
    /// Starts accepting on `listener`; each connection runs `handler` on its own thread.
    pub fn start<F>(name: String, listener: TcpListener, handler: F) -> std::io::Result<Server>
    where
        F: Fn(TcpStream) + Send + Sync + 'static,
    {
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<HashMap<u64, TcpStream>>> = Arc::default();
        let handler = Arc::new(handler);
        let (stop2, conns2) = (stop.clone(), conns.clone());
        let next = Arc::new(AtomicU64::new(0));
        let thread = std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || {
                for s in listener.incoming() {
                    if stop2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(s) = s else { continue };
                    let open = conns2.lock().unwrap_or_else(|e| e.into_inner()).len();
                    if open >= MAX_CONNECTIONS {
                        let _ = s.shutdown(Shutdown::Both);
                        continue;
                    }
                    let id = next.fetch_add(1, Ordering::SeqCst);
                    if let Ok(c) = s.try_clone() {
                        conns2
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(id, c);
                    }
                    let (h, conns3) = (handler.clone(), conns2.clone());
                    let _ = std::thread::Builder::new()
                        .name(format!("{name}-conn"))
                        .spawn(move || {
                            h(s);
                            conns3.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
                        });
                }
            })?;
        Ok(Server {
            addr,
            stop,
            thread: Some(thread),
            conns,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes the listener and every open connection; returns once the port is closed.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            // Wake the accept loop so it sees the flag and drops the listener.
            let _ = TcpStream::connect_timeout(&connectable(self.addr), Duration::from_secs(1));
            let _ = t.join();
        }
        let conns: Vec<TcpStream> = self
            .conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .map(|(_, s)| s)
            .collect();
        for c in conns {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
