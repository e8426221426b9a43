"""One module per verifier (or per family sharing settings, like the rules), each defining `VERIFIERS`.

`amd_assets.verification.registry` discovers every module here; its docstring says how to add a verifier.
"""
