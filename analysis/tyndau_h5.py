"""The schemas of tyndau's HDF5 files as the analysis scripts read them (docs/output_schema.md).

Every file names its schema at the root: the attribute schema_name (schema in files of the first
run-many programs, before schema_name was written everywhere) and schema_version, MAJOR.MINOR.
A minor version only adds items, so a script reads every minor of the majors it knows and refuses
any other major with a message that says so; check() is that test, shared by every script here.
"""

import contextlib
import os
import stat
import sys
import tempfile

# the majors of each schema that these scripts read
KNOWN = {
    "tyndau-run": (1,),
    "tyndau-sweep": (1, 2),
    "tyndau-compare": (1, 2),
    "tyndau-calibration": (1,),
    "tyndau-sensitivity": (1,),
    "tyndau-sbc": (1,),
    "tyndau-leave-out": (1,),
}
# what a file of each schema is called in messages: "not a tyndau sweep file"
KIND = {
    "tyndau-run": "tyndau run",
    "tyndau-sweep": "tyndau sweep",
    "tyndau-compare": "tyndau comparison",
    "tyndau-calibration": "tyndau calibration",
    "tyndau-sensitivity": "tyndau sensitivity",
    "tyndau-sbc": "tyndau simulation-based calibration",
    "tyndau-leave-out": "tyndau leave-one-family-out",
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


# the article every file and page that shows the survey figures cites
CITATION = ("Kurmanov, B., Selteyev, U. & Almaganbetov, A. (2024). 'Listening State?': exploring "
            "citizens' perceptions of Open Government in Tokayev's Kazakhstan. Central Asian Survey "
            "43(2), 235-256. doi:10.1080/02634937.2023.2268652")

class InputError(ValueError):
    """Bad input the user can fix: the script prints it and exits 2."""


def check_output(path, inputs=()):
    """Refuse, before any work, an output that would destroy something: a path that exists and is
    not a regular file (a directory, /dev/null, a FIFO), one that is one of the script's inputs
    (the same file under any name), or one in a directory that does not exist.  InputError."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise InputError("%s: cannot write output: %s" % (path, e.strerror)) from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise InputError("%s: cannot write output: not a regular file (a directory, device or FIFO); expected a "
                         "regular file or a new name" % path)
    for i in inputs:
        try:
            si = os.stat(i)
        except OSError:
            continue
        if st is not None and (si.st_dev, si.st_ino) == (st.st_dev, st.st_ino):
            raise InputError("%s: cannot write output: it is the input %s; choose another name" % (path, i))
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        raise InputError("%s: cannot write output: directory %s does not exist" % (path, d))


@contextlib.contextmanager
def writing(path, inputs=(), binary=True):
    """The one way the scripts write a file: check_output first, then a temporary file beside
    it, renamed onto the path only when the block completes (removed when it fails), so that
    nothing half-written is ever left under the name.  Yields the open temporary file."""
    check_output(path, inputs)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as fh:
            yield fh
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        check_output(path, inputs)  # still nothing but a regular file to replace
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def run(prog, main, argv=None):
    """Run a script's main(argv) so that bad input ends with one line and exit 2, never a
    traceback: a file of another schema, a damaged or truncated HDF5 file (h5py's OSError,
    KeyError for a missing object, ValueError for data that are not what they should be), an
    output that cannot be written.  main returns the exit status (None: 0)."""
    try:
        rc = main(argv)
    except (InputError, SchemaError) as e:
        sys.stderr.write("%s: %s\n" % (prog, e))
        return 2
    except (OSError, KeyError, ValueError, TypeError, IndexError) as e:
        what = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        name = getattr(e, "filename", None)
        sys.stderr.write("%s: %s%s (a damaged file, or not one tyndau wrote?)\n"
                         % (prog, name + ": " if name else "", what or type(e).__name__))
        return 2
    return 0 if rc is None else rc
