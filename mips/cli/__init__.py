"""The command line, one module per subcommand (:mod:`mips.cli.main`)."""
