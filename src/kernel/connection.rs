//! The connection file Jupyter writes for a kernel: where to bind, and the key.

use serde::Deserialize;

/// What a connection file holds.
#[derive(Clone, Debug, Deserialize)]
pub struct Connection {
    /// `tcp` (the only transport this kernel binds).
    #[serde(default = "tcp")]
    pub transport: String,
    /// The address to bind, usually `127.0.0.1`.
    pub ip: String,
    /// Shell channel port.
    pub shell_port: u16,
    /// Control channel port.
    pub control_port: u16,
    /// IOPub channel port.
    pub iopub_port: u16,
    /// Stdin channel port.
    pub stdin_port: u16,
    /// Heartbeat port.
    pub hb_port: u16,
    /// The HMAC key (empty: no signatures).
    #[serde(default)]
    pub key: String,
    /// The signature scheme, `hmac-sha256`.
    #[serde(default = "scheme")]
    pub signature_scheme: String,
}

fn tcp() -> String {
    "tcp".into()
}

fn scheme() -> String {
    "hmac-sha256".into()
}

impl Connection {
    /// The ZeroMQ endpoint of `port`.
    pub fn endpoint(&self, port: u16) -> String {
        format!("{}://{}:{port}", self.transport, self.ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_jupyter_client_writes() {
        let text = r#"{"shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003, "control_port": 5004,
            "hb_port": 5005, "ip": "127.0.0.1", "key": "k", "transport": "tcp",
            "signature_scheme": "hmac-sha256", "kernel_name": "harmonica"}"#;
        let c: Connection = serde_json::from_str(text).expect("parses");
        assert_eq!(c.endpoint(c.shell_port), "tcp://127.0.0.1:5001");
        assert_eq!(c.key, "k");
    }
}
