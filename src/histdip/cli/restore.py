"""`histdip restore` (being written)."""


def register(sub):
    p = sub.add_parser("restore", help="(not yet available)")
    p.set_defaults(func=lambda args: 1)
