//! Connections a fault can drop mid-request. The listener wraps every
//! accepted socket in [`SandboxIo`], whose [`KillSwitch`] a handler reaches
//! through the [`Conn`] connect-info. Once killed, every read and write fails,
//! so hyper cannot write the answer; the socket is then closed with a TCP
//! reset. The client sees a connection error, never an HTTP answer — the
//! `reset` and `lost` faults.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Set once a connection must end without an answer.
#[derive(Debug, Default)]
pub(crate) struct KillSwitch {
    killed: AtomicBool,
}

impl KillSwitch {
    /// From now on the connection fails every read and write.
    pub(crate) fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
    }

    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }
}

/// An accepted socket that fails once its switch is thrown.
#[derive(Debug)]
pub(crate) struct SandboxIo {
    inner: TcpStream,
    kill: Arc<KillSwitch>,
}

fn dropped() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "sandbox fault: connection dropped",
    )
}

impl AsyncRead for SandboxIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.kill.is_killed() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for SandboxIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.kill.is_killed() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.kill.is_killed() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.kill.is_killed() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl Drop for SandboxIo {
    fn drop(&mut self) {
        if self.kill.is_killed() {
            // Close with RST rather than FIN: a reset, not an orderly end.
            let _ = self.inner.set_zero_linger();
        }
    }
}

/// A TCP listener handing out [`SandboxIo`]s.
#[derive(Debug)]
pub(crate) struct SandboxListener {
    inner: TcpListener,
}

impl SandboxListener {
    /// Wraps a bound listener.
    pub(crate) fn new(inner: TcpListener) -> SandboxListener {
        SandboxListener { inner }
    }
}

impl Listener for SandboxListener {
    type Io = SandboxIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (SandboxIo, SocketAddr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    let io = SandboxIo {
                        inner: stream,
                        kill: Arc::new(KillSwitch::default()),
                    };
                    return (io, addr);
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on
                    // (as axum's own TcpListener does).
                    tracing::debug!(message = "sandbox accept failed", error = %e);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// What a handler knows of its connection: the switch that drops it.
#[derive(Debug, Clone)]
pub(crate) struct Conn {
    /// Throws the connection away without an answer.
    pub kill: Arc<KillSwitch>,
}

impl Connected<IncomingStream<'_, SandboxListener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, SandboxListener>) -> Conn {
        Conn {
            kill: stream.io().kill.clone(),
        }
    }
}
