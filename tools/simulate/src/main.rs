//! Plays Vonage's side of a click-to-call against a running worker, so the
//! whole flow can be developed and tested without a tunnel:
//!
//! 1. fetches a token from `/auth` and verifies it with the public key of
//!    the configured private key;
//! 2. requests the answer webhook as Vonage does for an in-app call and
//!    checks the NCCO against Vonage's rules;
//! 3. posts each scenario's call events (signed like Vonage when a
//!    signature secret is configured) where the NCCO in force sends them,
//!    following the NCCO a ring-list leg's event answers with (the next
//!    number, or voicemail);
//! 4. reads the call back from the ops API and prints its timeline and path;
//! 5. for voicemail, serves the recording as Vonage's media API would and
//!    plays it through the worker; for a callback request, files it and
//!    marks it done as ops would.
//!
//! Any deviation makes the exit code non-zero, so it doubles as a smoke
//! test. Calls are rendered from the same fixtures as the JS tests
//! (tests/scenarios, tests/fixtures/call-legs.json); settings use the
//! worker's own variable names.

mod api;
mod checks;
mod client;
mod fixtures;
mod line;
mod play;
mod settings;
mod vonage;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Plays Vonage against a running edge click-to-call worker.
#[derive(Parser)]
#[command(name = "simulate", version, about, after_help = settings::HELP)]
struct Args {
    /// The worker.
    #[arg(long, default_value = "http://localhost:8787")]
    url: String,
    /// Settings file; the environment overrides it [default: .dev.vars when present].
    #[arg(long)]
    dev_vars: Option<PathBuf>,
    /// A scenario to play (repeatable) [default: every tests/scenarios/*.json].
    #[arg(long = "scenario", value_name = "FILE")]
    scenarios: Vec<PathBuf>,
    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
    /// Only serve Vonage's Users and media APIs on VONAGE_API_URL, until
    /// interrupted: for pressing Call on the page of a local worker.
    #[arg(long)]
    serve: bool,
}

/// What was checked, printed as it happens.
#[derive(Default)]
pub struct Report {
    pub deviations: usize,
}

impl Report {
    pub fn ok(&self, what: &str) {
        println!("  ✓ {what}");
    }

    pub fn deviation(&mut self, what: &str) {
        println!("  ✗ {what}");
        self.deviations += 1;
    }

    /// One line per problem; true when there were none.
    pub fn check(&mut self, passed: &str, problems: &[String]) -> bool {
        if problems.is_empty() {
            self.ok(passed);
        } else {
            for p in problems {
                self.deviation(p);
            }
        }
        problems.is_empty()
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let scenarios = match fixtures::scenario_files(&args.scenarios) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if args.list {
        for file in &scenarios {
            match fixtures::Scenario::load(file) {
                Ok(s) => {
                    println!("{:<22} {}", s.name, s.description);
                    for source in &s.sources {
                        println!("{:<22}   source: {source}", "");
                    }
                }
                Err(e) => println!("{e}"),
            }
        }
        return ExitCode::SUCCESS;
    }
    let settings = match settings::Settings::load(&args.url, args.dev_vars.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut session = match play::Session::start(&settings) {
        Ok(session) => session,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if args.serve {
        if session.api.is_none() {
            eprintln!(
                "--serve needs VONAGE_API_URL to be an http origin on this machine (make dev writes http://127.0.0.1:8788)"
            );
            return ExitCode::from(2);
        }
        println!("serving until interrupted (Ctrl-C)");
        loop {
            std::thread::park();
        }
    }
    println!("edge click-to-call simulator → {}", settings.url);
    let client = client::Client::new(&settings.url);
    let mut report = Report::default();
    if let Err(e) = checks::token(&client, &settings, &session, &mut report) {
        report.deviation(&e);
    }
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for file in &scenarios {
        let before = report.deviations;
        match play::scenario(&client, &settings, &mut session, file, &mut report) {
            Ok(play::Played::Skipped) => skipped += 1,
            Ok(play::Played::Done) if report.deviations == before => passed += 1,
            Ok(play::Played::Done) => failed += 1,
            Err(e) => {
                report.deviation(&e);
                failed += 1;
            }
        }
    }
    println!(
        "RESULT: {passed} scenarios passed, {failed} failed, {skipped} skipped; {} deviations",
        report.deviations
    );
    if report.deviations == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
