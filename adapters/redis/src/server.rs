//! A real `redis-server` for tests and benchmarks: started on a free loopback port in a temp
//! dir, without persistence, stopped when dropped.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
    dir: PathBuf,
    extra: Vec<String>,
}

impl RedisServer {
    /// Starts one, or says why it cannot (no `redis-server` on the `PATH`).
    pub fn start() -> Result<RedisServer, String> {
        RedisServer::start_with(&[])
    }

    /// Starts one with extra `redis-server` arguments (for example `--requirepass`).
    pub fn start_with(extra: &[&str]) -> Result<RedisServer, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let dir =
            std::env::temp_dir().join(format!("headroom-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let extra: Vec<String> = extra.iter().map(|a| a.to_string()).collect();
        let child = spawn(port, &dir, &extra)?;
        let server = RedisServer {
            child,
            port,
            dir,
            extra,
        };
        server.wait_ready()?;
        Ok(server)
    }

    /// Starts one for a test, or skips it: prints why on the test's output (not captured) and
    /// returns `None`, unless `HEADROOM_REQUIRE_PEERS` is set, when it panics.
    pub fn for_test(test: &str) -> Option<RedisServer> {
        match RedisServer::start() {
            Ok(s) => Some(s),
            Err(why) if std::env::var_os("HEADROOM_REQUIRE_PEERS").is_some() => {
                panic!("{test}: redis-server required but unavailable: {why}")
            }
            Err(why) => {
                // Written to the stream itself: the test harness captures `eprintln!` only.
                let _ = writeln!(std::io::stderr(), "skipping {test}: {why}");
                None
            }
        }
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it with SIGKILL (its state is lost: no persistence) and starts it again on the
    /// same port.
    pub fn kill_and_restart(&mut self) -> Result<(), String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(self.port, &self.dir, &self.extra)?;
        self.wait_ready()
    }

    /// Freezes it (SIGSTOP): connections stay open, nothing answers.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Thaws it (SIGCONT).
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    /// Runs `redis-cli` against it with `args` (for example `SCRIPT FLUSH`).
    pub fn cli(&self, args: &[&str]) -> Result<String, String> {
        let password = self
            .extra
            .iter()
            .position(|a| a == "--requirepass")
            .and_then(|i| self.extra.get(i + 1));
        let mut command = Command::new("redis-cli");
        command.args(["-p", &self.port.to_string()]);
        if let Some(p) = password {
            command.args(["--no-auth-warning", "-a", p]);
        }
        let out = command
            .args(args)
            .output()
            .map_err(|e| format!("redis-cli: {e}"))?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status();
    }

    fn wait_ready(&self) -> Result<(), String> {
        // Polls for the port to accept, a startup wait (not a test's timing).
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "redis-server did not listen on {} within 10 s",
            self.port
        ))
    }
}

fn spawn(port: u16, dir: &PathBuf, extra: &[String]) -> Result<Child, String> {
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run redis-server: {e}"))
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.thaw();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
