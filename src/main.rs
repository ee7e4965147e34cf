//! `animate`: the command-line front end of Sfumato, a thin layer over the `sfumato` library.

mod cli;

fn main() {
    std::process::exit(cli::run());
}
