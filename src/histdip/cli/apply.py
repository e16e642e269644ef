"""`histdip apply` (being written)."""


def register(sub):
    p = sub.add_parser("apply", help="(not yet available)")
    p.set_defaults(func=lambda args: 1)
