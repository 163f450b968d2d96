//! A Postgres primary and its synchronous streaming standby, started from
//! the server binaries on this machine in a scratch directory, for tests of
//! what a failover does to dcr. Nothing but `initdb`, `pg_ctl` and
//! `pg_basebackup` is needed. `initdb` refuses root, so as root (as CI runs)
//! every server command runs as the `postgres` user.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use diesel::prelude::*;

/// The directory holding `initdb`, `pg_ctl` and `pg_basebackup`.
fn server_binaries() -> PathBuf {
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"));
    from_pg_config
        .into_iter()
        .chain(debian)
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_basebackup").is_file())
        .expect(
            "this test starts its own Postgres primary and standby and needs the server \
             binaries (initdb, pg_ctl, pg_basebackup): install the postgresql package \
             (Debian: apt-get install postgresql) so that `pg_config --bindir` or \
             /usr/lib/postgresql/*/bin holds them",
        )
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Node {
    pub port: u16,
    data: PathBuf,
}

/// A primary and one synchronous standby; both stopped and their files
/// removed when dropped, whatever state the test left them in.
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    /// Set once the primary's processes are killed, so that cleaning up
    /// never signals their (possibly reused) process ids again.
    primary_killed: std::cell::Cell<bool>,
    pub primary: Node,
    pub standby: Node,
}

impl Cluster {
    pub fn start() -> Self {
        let bin = server_binaries();
        let as_postgres = running_as_root();
        let dir =
            std::env::temp_dir().join(format!("dcr-cluster-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut cluster = Self {
            primary: Node {
                port: free_port(),
                data: dir.join("primary"),
            },
            standby: Node {
                port: free_port(),
                data: dir.join("standby"),
            },
            dir,
            bin,
            as_postgres,
            primary_killed: std::cell::Cell::new(false),
        };
        if as_postgres {
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&cluster.dir)
                .status()
                .unwrap();
            assert!(status.success(), "chown of the cluster directory failed");
        }
        cluster.init_primary();
        cluster.clone_standby();
        cluster
    }

    /// Runs one server program, as `postgres` when we are root.
    fn run(&self, program: &str, args: &[&str]) {
        let binary = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&binary);
            command
        } else {
            Command::new(&binary)
        };
        let output = command
            .args(args)
            .current_dir(&self.dir)
            .output()
            .unwrap_or_else(|err| panic!("{program} could not run: {err}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn pg_ctl_start(&self, node: &Node) {
        let log = self.dir.join(format!("{}.log", node.port));
        self.run(
            "pg_ctl",
            &[
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                path(&node.data),
                "-l",
                path(&log),
                "-o",
                &format!("-p {} -k {}", node.port, self.dir.display()),
            ],
        );
    }

    fn init_primary(&mut self) {
        let data = path(&self.primary.data).to_owned();
        self.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-N",
                "-E",
                "UTF8",
            ],
        );
        // Every commit waits for the standby to have the WAL (`on`: written
        // and flushed there), which is what makes a 201 survive the
        // primary's death. fsync is off: the test kills processes, not the
        // machine, so the kernel keeps what was written either way.
        let settings = "\nlisten_addresses = '127.0.0.1'\n\
                        wal_level = replica\n\
                        max_wal_senders = 4\n\
                        synchronous_standby_names = '*'\n\
                        synchronous_commit = on\n\
                        fsync = off\n\
                        max_connections = 100\n";
        append(&self.primary.data.join("postgresql.conf"), settings);
        self.pg_ctl_start(&self.primary);
    }

    fn clone_standby(&mut self) {
        let source = format!(
            "host=127.0.0.1 port={} user=postgres application_name=standby",
            self.primary.port
        );
        self.run(
            "pg_basebackup",
            &[
                "-d",
                &source,
                "-D",
                path(&self.standby.data),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ],
        );
        // Once promoted, the standby is a primary with no standby of its
        // own: were it to keep `synchronous_standby_names`, its every commit
        // would wait for one that never comes. (Failover managers such as
        // Patroni clear it the same way.)
        append(
            &self.standby.data.join("postgresql.conf"),
            "\nsynchronous_standby_names = ''\n",
        );
        self.pg_ctl_start(&self.standby);
        self.wait_for_synchronous_standby();
    }

    pub fn admin_url(&self, node: &Node) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", node.port)
    }

    /// The libpq multi-host URL a replica is given: both hosts, writes only.
    pub fn multi_host_url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/{database}?target_session_attrs=read-write",
            self.primary.port, self.standby.port
        )
    }

    pub fn execute(&self, node: &Node, sql: &str) {
        let mut conn = PgConnection::establish(&self.admin_url(node)).unwrap();
        diesel::sql_query(sql).execute(&mut conn).unwrap();
    }

    fn wait_for_synchronous_standby(&self) {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut conn = PgConnection::establish(&self.admin_url(&self.primary)).unwrap();
        loop {
            let synchronous = diesel::sql_query(
                "SELECT count(*) AS n FROM pg_stat_replication WHERE sync_state = 'sync'",
            )
            .get_result::<Count>(&mut conn)
            .unwrap();
            if synchronous.n == 1 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the standby did not become synchronous within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every process of the primary: the postmaster and its children.
    fn primary_processes(&self) -> Vec<u32> {
        let pid_file = std::fs::read_to_string(self.primary.data.join("postmaster.pid"))
            .expect("the primary is running");
        let postmaster: u32 = pid_file.lines().next().unwrap().trim().parse().unwrap();
        let mut pids = vec![postmaster];
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // The fields after the command name, which may hold spaces.
            let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            let parent = after_name.split_whitespace().nth(1);
            if parent == Some(postmaster.to_string().as_str()) {
                pids.push(pid);
            }
        }
        pids
    }

    fn signal_primary(&self, signal: &str) {
        let pids: Vec<String> = self
            .primary_processes()
            .iter()
            .map(u32::to_string)
            .collect();
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .args(&pids)
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} of the primary failed");
    }

    /// The primary's sudden death: every one of its processes at once.
    pub fn kill_primary(&self) {
        self.signal_primary("KILL");
        self.primary_killed.set(true);
    }

    /// A primary that stops answering but keeps its connections open, as a
    /// frozen host or a partition looks from the client's side.
    pub fn freeze_primary(&self) {
        self.signal_primary("STOP");
    }

    /// Promotes the standby and waits until it takes writes.
    pub fn promote_standby(&self) {
        self.run("pg_ctl", &["promote", "-w", "-D", path(&self.standby.data)]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // SIGKILL reaches a frozen primary too, and a dead one is left alone.
        // A panic here, while a failed test unwinds, would abort the run.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if !self.primary_killed.get() && self.primary.data.join("postmaster.pid").exists() {
                self.kill_primary();
            }
            self.run(
                "pg_ctl",
                &["stop", "-m", "immediate", "-D", path(&self.standby.data)],
            );
        }));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn path(path: &Path) -> &str {
    path.to_str()
        .expect("the scratch directory's path is UTF-8")
}

fn append(file: &Path, text: &str) {
    use std::io::Write;
    let mut handle = std::fs::OpenOptions::new().append(true).open(file).unwrap();
    handle.write_all(text.as_bytes()).unwrap();
}
