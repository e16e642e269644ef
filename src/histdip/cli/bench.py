"""`histdip bench` (being written)."""


def register(sub):
    p = sub.add_parser("bench", help="(not yet available)")
    p.set_defaults(func=lambda args: 1)
