//! ADB transport messages: a 24-byte little-endian header and an optional payload.

use std::io::{self, Read};

/// `CNXN`: connect.
pub const A_CNXN: u32 = 0x4e58_4e43;
/// `AUTH`: authentication.
pub const A_AUTH: u32 = 0x4854_5541;
/// `OPEN`: open a stream to a service.
pub const A_OPEN: u32 = 0x4e45_504f;
/// `OKAY`: stream ready / write acknowledged.
pub const A_OKAY: u32 = 0x5941_4b4f;
/// `CLSE`: close a stream.
pub const A_CLSE: u32 = 0x4553_4c43;
/// `WRTE`: stream data.
pub const A_WRTE: u32 = 0x4554_5257;
/// `STLS`: switch to TLS.
pub const A_STLS: u32 = 0x534c_5453;

/// Protocol version the virtual device speaks (checksums optional).
pub const VERSION: u32 = 0x0100_0001;
/// Largest payload the virtual device accepts and sends.
pub const MAX_PAYLOAD: u32 = 1024 * 1024;

/// One transport message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Command word.
    pub command: u32,
    /// First argument.
    pub arg0: u32,
    /// Second argument.
    pub arg1: u32,
    /// Payload.
    pub data: Vec<u8>,
}

impl Message {
    /// Builds a message.
    pub fn new(command: u32, arg0: u32, arg1: u32, data: Vec<u8>) -> Self {
        Message {
            command,
            arg0,
            arg1,
            data,
        }
    }

    /// Serialises header and payload (the checksum is always filled in: old hosts check it).
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(24 + self.data.len());
        let sum: u32 = self
            .data
            .iter()
            .map(|&x| u32::from(x))
            .fold(0, u32::wrapping_add);
        for v in [
            self.command,
            self.arg0,
            self.arg1,
            self.data.len() as u32,
            sum,
            !self.command,
        ] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&self.data);
        b
    }

    /// Reads one message; rejects bad magic and oversized payloads.
    pub fn read(r: &mut impl Read) -> io::Result<Message> {
        let mut h = [0u8; 24];
        r.read_exact(&mut h)?;
        let w = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let (command, arg0, arg1, len, magic) = (w(0), w(4), w(8), w(12), w(20));
        if magic != !command {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "bad ADB magic"));
        }
        if len > MAX_PAYLOAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "ADB payload too large",
            ));
        }
        let mut data = vec![0u8; len as usize];
        r.read_exact(&mut data)?;
        Ok(Message {
            command,
            arg0,
            arg1,
            data,
        })
    }
}

/// Printable name of a command word.
pub fn command_name(c: u32) -> String {
    c.to_le_bytes()
        .iter()
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_checksum() {
        let m = Message::new(A_WRTE, 1, 2, b"abc".to_vec());
        let b = m.encode();
        assert_eq!(&b[0..4], b"WRTE");
        assert_eq!(
            u32::from_le_bytes([b[16], b[17], b[18], b[19]]),
            97 + 98 + 99
        );
        assert_eq!(u32::from_le_bytes([b[20], b[21], b[22], b[23]]), !A_WRTE);
        assert_eq!(Message::read(&mut &b[..]).unwrap(), m);
        assert_eq!(command_name(A_CNXN), "CNXN");
        let mut bad = b.clone();
        bad[20] ^= 1;
        assert!(Message::read(&mut &bad[..]).is_err());
    }
}
