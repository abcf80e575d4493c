"""datasette-provenance: Datasette hooks only; the work lives in the pipeline modules."""

from datasette import hookimpl


@hookimpl
def register_commands(cli):
    from .commands import provenance

    cli.add_command(provenance)
