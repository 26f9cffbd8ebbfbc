//! The Jupyter wire format: a message's ZeroMQ frames, its HMAC-SHA256 signature,
//! and its four JSON parts. Pure: no sockets, so every rule is unit-tested.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

/// The frame between the routing identities and the signature.
pub const DELIMITER: &[u8] = b"<IDS|MSG>";
/// The messaging protocol version this kernel speaks.
pub const PROTOCOL_VERSION: &str = "5.3";

/// Why incoming frames are not a message the kernel acts on.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum WireError {
    /// No `<IDS|MSG>` frame.
    #[error("no <IDS|MSG> delimiter among {0} frames")]
    NoDelimiter(usize),
    /// Fewer than the signature and four JSON frames after the delimiter.
    #[error("{0} frames after the delimiter, expected at least 5")]
    TooFewFrames(usize),
    /// The signature does not match the key (or is missing).
    #[error("bad signature {0:?}")]
    BadSignature(String),
    /// A part is not a JSON object.
    #[error("the {0} is not a JSON object: {1}")]
    BadJson(&'static str, String),
    /// The header has no string `msg_type`.
    #[error("the header has no msg_type")]
    NoMsgType,
    /// The connection file asks for a scheme other than hmac-sha256.
    #[error("unsupported signature scheme `{0}` (only hmac-sha256)")]
    Scheme(String),
}

/// Signs and checks messages with the connection file's key.
#[derive(Clone)]
pub struct Signer {
    /// `None` when the key is empty: the protocol then disables authentication.
    mac: Option<Hmac<Sha256>>,
}

impl Signer {
    /// A signer for `scheme` (`hmac-sha256`) and `key`.
    pub fn new(scheme: &str, key: &str) -> Result<Self, WireError> {
        if key.is_empty() {
            return Ok(Self { mac: None });
        }
        if scheme != "hmac-sha256" {
            return Err(WireError::Scheme(scheme.to_owned()));
        }
        let mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).map_err(|e| WireError::Scheme(e.to_string()))?;
        Ok(Self { mac: Some(mac) })
    }

    /// The MAC fed with `parts` (`None` without a key).
    fn mac(&self, parts: &[&[u8]]) -> Option<Hmac<Sha256>> {
        let mut mac = self.mac.clone()?;
        for p in parts {
            mac.update(p);
        }
        Some(mac)
    }

    /// The hex signature of the four JSON parts (empty without a key).
    pub fn sign(&self, parts: &[&[u8]]) -> String {
        self.mac(parts).map_or_else(String::new, |mac| hex::encode(mac.finalize().into_bytes()))
    }

    /// Whether `signature` (hex) signs `parts`, compared in constant time.
    pub fn verify(&self, signature: &[u8], parts: &[&[u8]]) -> bool {
        let Some(mac) = self.mac(parts) else { return true };
        hex::decode(signature).is_ok_and(|expected| mac.verify_slice(&expected).is_ok())
    }
}

/// One protocol message.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Routing identities (ROUTER sockets) or the topic (IOPub).
    pub identities: Vec<Vec<u8>>,
    /// `msg_id`, `msg_type`, `session`, `username`, `date`, `version`.
    pub header: Value,
    /// The header of the request this answers (`{}` when none).
    pub parent_header: Value,
    /// Free-form metadata.
    pub metadata: Value,
    /// The message type's content.
    pub content: Value,
    /// Binary buffers after the JSON parts.
    pub buffers: Vec<Vec<u8>>,
}

impl Message {
    /// Parses and authenticates received frames.
    pub fn decode(frames: &[Vec<u8>], signer: &Signer) -> Result<Self, WireError> {
        let at = frames.iter().position(|f| f == DELIMITER).ok_or(WireError::NoDelimiter(frames.len()))?;
        let rest = &frames[at + 1..];
        if rest.len() < 5 {
            return Err(WireError::TooFewFrames(rest.len()));
        }
        let parts: Vec<&[u8]> = rest[1..5].iter().map(Vec::as_slice).collect();
        if !signer.verify(&rest[0], &parts) {
            return Err(WireError::BadSignature(String::from_utf8_lossy(&rest[0]).into_owned()));
        }
        let header = object(parts[0], "header")?;
        if header.get("msg_type").and_then(Value::as_str).is_none() {
            return Err(WireError::NoMsgType);
        }
        Ok(Self {
            identities: frames[..at].to_vec(),
            header,
            parent_header: object(parts[1], "parent header")?,
            metadata: object(parts[2], "metadata")?,
            content: object(parts[3], "content")?,
            buffers: rest[5..].to_vec(),
        })
    }

    /// The signed frames to send.
    pub fn encode(&self, signer: &Signer) -> Vec<Vec<u8>> {
        let parts: Vec<Vec<u8>> = [&self.header, &self.parent_header, &self.metadata, &self.content]
            .iter()
            .map(|v| v.to_string().into_bytes())
            .collect();
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let signature = signer.sign(&refs).into_bytes();
        let mut frames = self.identities.clone();
        frames.push(DELIMITER.to_vec());
        frames.push(signature);
        frames.extend(parts);
        frames.extend(self.buffers.iter().cloned());
        frames
    }

    /// The message type (checked present by `decode`).
    pub fn msg_type(&self) -> &str {
        self.header.get("msg_type").and_then(Value::as_str).unwrap_or("")
    }

    /// A string field of the content, or `""`.
    pub fn str_field(&self, name: &str) -> &str {
        str_field(&self.content, name)
    }

    /// A boolean field of the content, or `false`.
    pub fn flag(&self, name: &str) -> bool {
        flag(&self.content, name)
    }

    /// A new message of `msg_type` answering this one, routed back to its sender.
    pub fn reply(&self, session: &str, msg_type: &str, content: Value) -> Message {
        Message {
            identities: self.identities.clone(),
            header: header(session, msg_type),
            parent_header: self.header.clone(),
            metadata: json!({}),
            content,
            buffers: Vec::new(),
        }
    }
}

/// A string field of `content`, or `""`.
pub fn str_field<'a>(content: &'a Value, name: &str) -> &'a str {
    content.get(name).and_then(Value::as_str).unwrap_or("")
}

/// A boolean field of `content`, or `false`.
pub fn flag(content: &Value, name: &str) -> bool {
    content.get(name).and_then(Value::as_bool).unwrap_or(false)
}

fn object(bytes: &[u8], what: &'static str) -> Result<Value, WireError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(other) => Err(WireError::BadJson(what, format!("found {other}"))),
        Err(e) => Err(WireError::BadJson(what, e.to_string())),
    }
}

/// A fresh header for a message the kernel sends.
pub fn header(session: &str, msg_type: &str) -> Value {
    let mut h = Map::new();
    h.insert("msg_id".into(), new_id().into());
    h.insert("session".into(), session.into());
    h.insert("username".into(), "kernel".into());
    h.insert("date".into(), iso_now().into());
    h.insert("msg_type".into(), msg_type.into());
    h.insert("version".into(), PROTOCOL_VERSION.into());
    Value::Object(h)
}

/// A random 128-bit id in hex (the protocol only asks for uniqueness).
pub fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Now in UTC as ISO 8601 with microseconds (`2026-12-03T19:40:21.123456Z`).
pub fn iso_now() -> String {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    iso_utc(d.as_secs(), d.subsec_micros())
}

/// Seconds since the epoch as an ISO 8601 UTC date (days to civil: Howard Hinnant's algorithm).
pub fn iso_utc(secs: u64, micros: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(signer: &Signer) -> Vec<Vec<u8>> {
        Message {
            identities: vec![b"peer".to_vec()],
            header: header("s1", "execute_request"),
            parent_header: json!({}),
            metadata: json!({}),
            content: json!({"code": "best"}),
            buffers: vec![],
        }
        .encode(signer)
    }

    #[test]
    fn a_signed_message_round_trips() {
        let signer = Signer::new("hmac-sha256", "secret").expect("signer");
        let frames = request(&signer);
        let m = Message::decode(&frames, &signer).expect("decodes");
        assert_eq!(m.identities, vec![b"peer".to_vec()]);
        assert_eq!(m.msg_type(), "execute_request");
        assert_eq!(m.str_field("code"), "best");
    }

    #[test]
    fn a_wrong_or_missing_signature_is_refused() {
        let signer = Signer::new("hmac-sha256", "secret").expect("signer");
        let other = Signer::new("hmac-sha256", "other").expect("signer");
        assert!(matches!(Message::decode(&request(&other), &signer), Err(WireError::BadSignature(_))));
        let mut frames = request(&signer);
        frames[2] = Vec::new();
        assert!(matches!(Message::decode(&frames, &signer), Err(WireError::BadSignature(_))));
        let mut tampered = request(&signer);
        tampered[6] = br#"{"code": "run"}"#.to_vec();
        assert!(matches!(Message::decode(&tampered, &signer), Err(WireError::BadSignature(_))));
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        let signer = Signer::new("hmac-sha256", "").expect("signer");
        assert_eq!(Message::decode(&[b"x".to_vec()], &signer), Err(WireError::NoDelimiter(1)));
        let short = vec![DELIMITER.to_vec(), b"".to_vec(), b"{}".to_vec()];
        assert_eq!(Message::decode(&short, &signer), Err(WireError::TooFewFrames(2)));
        let bad = vec![DELIMITER.to_vec(), vec![], b"[1]".to_vec(), b"{}".to_vec(), b"{}".to_vec(), b"{".to_vec()];
        assert!(matches!(Message::decode(&bad, &signer), Err(WireError::BadJson("header", _))));
        let untyped = vec![DELIMITER.to_vec(), vec![], b"{}".to_vec(), b"{}".to_vec(), b"{}".to_vec(), b"{}".to_vec()];
        assert_eq!(Message::decode(&untyped, &signer), Err(WireError::NoMsgType));
        assert!(Signer::new("hmac-md5", "k").is_err());
    }

    #[test]
    fn dates_are_iso_8601_utc() {
        assert_eq!(iso_utc(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(iso_utc(1_796_327_221, 42), "2026-12-03T19:47:01.000042Z");
        assert_eq!(iso_utc(951_782_400, 5), "2000-02-29T00:00:00.000005Z");
    }
}
