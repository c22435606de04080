//! A canned HTTP server on 127.0.0.1 for unit tests: each connection gets the next response after its
//! request head is read; the request heads come back from [`Server::requests`].

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;

pub struct Server {
    pub port: u16,
    handle: thread::JoinHandle<Vec<Vec<u8>>>,
}

impl Server {
    pub fn start(responses: Vec<Vec<u8>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = thread::spawn(move || {
            let mut requests = Vec::new();
            for response in responses {
                let (mut conn, _) = listener.accept().unwrap();
                let mut request = Vec::new();
                let mut byte = [0u8; 1];
                while !request.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                    request.push(byte[0]);
                }
                requests.push(request);
                let _ = conn.write_all(&response);
            }
            requests
        });
        Server { port, handle }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The request heads, once every response was sent.
    pub fn requests(self) -> Vec<String> {
        self.handle.join().unwrap().into_iter().map(|r| String::from_utf8(r).unwrap()).collect()
    }
}

/// `200 OK` with `body` and its `Content-Length`.
pub fn ok(body: &[u8]) -> Vec<u8> {
    let mut response =
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
    response.extend_from_slice(body);
    response
}

/// An empty answer with `status` and extra header lines.
pub fn status(status: &str, headers: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status}\r\n{headers}Content-Length: 0\r\nConnection: close\r\n\r\n").into_bytes()
}
