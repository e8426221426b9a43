"""Fidelity suites: our verifiers against the upstream math-verify cases, MBPP references and their mutants."""
