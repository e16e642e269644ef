"""`histdip fit` (being written)."""


def register(sub):
    p = sub.add_parser("fit", help="(not yet available)")
    p.set_defaults(func=lambda args: 1)
