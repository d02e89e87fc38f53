//! End-to-end tests of the real `beacon` binary: CLI commands on a temp data dir (or a fresh PostgreSQL schema),
//! `beacon server` processes, and HTTP targets served on 127.0.0.1 whose behaviour the test switches.

mod accounts;
mod api;
mod browser;
mod channels;
mod chaos;
mod checks;
mod cli;
mod cli_env;
mod delivery;
mod follow_ups;
mod forms;
mod harness;
mod heartbeats;
mod kubernetes;
mod layout;
mod leader;
mod ops;
mod pages;
mod regions;
mod scheduling;
mod smtp;
mod stats;
mod status;
mod web;
mod webhooks;
mod workers;
