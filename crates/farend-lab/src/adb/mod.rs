//! The device side of ADB over TCP: transport, connections and streams, shell service.

pub mod connection;
pub mod shell_service;
pub mod sync_service;
pub mod threads;
pub mod transport;
