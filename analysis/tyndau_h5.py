"""The schemas of tyndau's HDF5 files as the analysis scripts read them (docs/output_schema.md).

Every file names its schema at the root: the attribute schema_name (schema in files of the first
run-many programs, before schema_name was written everywhere) and schema_version, MAJOR.MINOR.
A minor version only adds items, so a script reads every minor of the majors it knows and refuses
any other major with a message that says so; check() is that test, shared by every script here.
"""

# the majors of each schema that these scripts read
KNOWN = {
    "tyndau-run": (1,),
    "tyndau-sweep": (1, 2),
    "tyndau-compare": (1, 2),
    "tyndau-calibration": (1,),
    "tyndau-sensitivity": (1,),
    "tyndau-sbc": (1,),
}
# what a file of each schema is called in messages: "not a tyndau sweep file"
KIND = {
    "tyndau-run": "tyndau run",
    "tyndau-sweep": "tyndau sweep",
    "tyndau-compare": "tyndau comparison",
    "tyndau-calibration": "tyndau calibration",
    "tyndau-sensitivity": "tyndau sensitivity",
    "tyndau-sbc": "tyndau simulation-based calibration",
}


class SchemaError(ValueError):
    """A file of another schema, or of a major version of it these scripts do not know (a
    ValueError, as the readers' other complaints about a file)."""


def text(v):
    """An HDF5 text (bytes, str or a one-element array) as str."""
    if hasattr(v, "size") and hasattr(v, "item"):  # a numpy array or scalar
        v = v.item() if v.size == 1 else v.tolist()
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def schema(f):
    """(schema name, schema version) of an open h5py file; "" for what it does not say."""
    name = f.attrs.get("schema_name", f.attrs.get("schema", ""))
    return text(name), text(f.attrs.get("schema_version", ""))


def check(f, path, names):
    """The schema name of f if it is one of `names` in a major version these scripts read;
    otherwise SchemaError with a message naming the file, what it is and what is expected."""
    name, version = schema(f)
    wanted = " or ".join(KIND[n] for n in names)
    if name not in names:
        raise SchemaError("%s: not a %s file (schema %r)" % (path, wanted, name))
    try:
        major = int(version.split(".")[0])
    except ValueError:
        raise SchemaError("%s: no readable schema_version (%r): not a %s file" % (path, version, wanted)) from None
    if major not in KNOWN[name]:
        reads = " and ".join("%d.x" % m for m in KNOWN[name])
        raise SchemaError("%s: %s schema version %s is not supported (these scripts read %s): a newer tyndau "
                          "wrote it; update analysis/" % (path, name, version, reads))
    return name
