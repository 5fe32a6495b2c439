//! HTTP to the worker.

use std::time::Duration;

pub struct Client {
    base: String,
    agent: ureq::Agent,
}

pub struct Response {
    pub status: u16,
    pub body: String,
}

/// A response whose body is bytes (a recording).
pub struct BytesResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Response {
    /// `error.code` of a JSON error body.
    pub fn error_code(&self) -> Option<String> {
        let body: serde_json::Value = serde_json::from_str(&self.body).ok()?;
        body["error"]["code"].as_str().map(str::to_owned)
    }
}

impl Client {
    pub fn new(base: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(15)))
            .build()
            .into();
        Self {
            base: base.to_owned(),
            agent,
        }
    }

    fn call_get(
        &self,
        path: &str,
        headers: &[(&str, String)],
    ) -> Result<ureq::http::Response<ureq::Body>, String> {
        let mut req = self.agent.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        req.call().map_err(|e| format!("GET {path}: {e}"))
    }

    pub fn get(&self, path: &str, headers: &[(&str, String)]) -> Result<Response, String> {
        Self::read(self.call_get(path, headers)?, "GET", path)
    }

    pub fn get_bytes(
        &self,
        path: &str,
        headers: &[(&str, String)],
    ) -> Result<BytesResponse, String> {
        let mut res = self.call_get(path, headers)?;
        let content_type = res
            .headers()
            .get("Content-Type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = res
            .body_mut()
            .read_to_vec()
            .map_err(|e| format!("GET {path}: {e}"))?;
        Ok(BytesResponse {
            status: res.status().as_u16(),
            content_type,
            body,
        })
    }

    pub fn post(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<Response, String> {
        let mut req = self.agent.post(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let res = req.send(body).map_err(|e| format!("POST {path}: {e}"))?;
        Self::read(res, "POST", path)
    }

    fn read(
        mut res: ureq::http::Response<ureq::Body>,
        method: &str,
        path: &str,
    ) -> Result<Response, String> {
        let status = res.status().as_u16();
        let body = res
            .body_mut()
            .read_to_string()
            .map_err(|e| format!("{method} {path}: {e}"))?;
        Ok(Response { status, body })
    }
}
