"""A stand-in for `ros2 launch` on the XML launch subset that launch/aether.launch.xml uses.

`launch` and `launch_ros` are not installable from PyPI here, so the launch file is evaluated by
this module instead, following their documented behaviour for the subset it models:

- `<launch>` holding `<arg>`, `<let>`, `<executable>`, `<node>` and `<include>` elements;
- `<let name value if unless>`: sets a launch configuration, read with `$(var name)`;
- `<include file if unless>` with `<arg name value>` children: the included file must exist; it is
  reported as a Process of kind "include" (name: the file, params: its arguments) and not
  evaluated (the only includes are other packages' Python launch files);
- `<arg name default description>`: a launch argument; a value given on the command line wins;
- `<executable cmd name output if unless>`: `cmd` is split on whitespace in its literal text only
  (a substitution's value stays inside one argument, as launch's ExecuteProcess does);
- `<node pkg exec name namespace output if unless>` with `<param from>` and `<param name value>`
  children: the command launch_ros runs, `<prefix>/lib/<pkg>/<exec> --ros-args -r __node:=<name>
  [-r __ns:=/<namespace>] --params-file <from>... --params-file <temp YAML>` (a non-empty
  namespace is made absolute; an empty one adds nothing), the temp YAML holding the name/value
  params under `/**: ros__parameters:` (dotted names kept flat), each value typed by
  yaml.safe_load of its string the way launch_ros does;
- `<node args=...>`: the node's arguments, split like `cmd`, before `--ros-args`;
- `$(command 'CMD')`: CMD split like a POSIX shell (shlex), run, its stdout; a non-zero exit or
  any stderr output fails, as launch's Command does by default;
- substitutions `$(var X)`, `$(find-pkg-share PKG)`, `$(find-pkg-prefix PKG)` and
  `$(eval 'EXPR')` (EXPR is substituted first, then evaluated as Python with `math`'s names in
  scope; the result is str()-ed), with launch's quoting (`'…'`, `"…"`) and backslash escapes;
- `if`/`unless`: the substituted value must be true/false/1/0 (any case), as launch requires.

Anything else (another element, attribute, substitution, or an argument given on the command
line that the file does not declare) raises LaunchError naming it: a launch-file edit this
module cannot model fails loudly instead of being half-evaluated. Packages are found like
ament_index does: a prefix is a package's when it has share/ament_index/resource_index/packages/<pkg>.
"""

import math
import os
import shlex
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import yaml

__all__ = ["Arg", "LaunchError", "LaunchFile", "Process", "parse_substitutions", "make_install_prefix"]


class LaunchError(Exception):
    """The launch file, or the arguments given to it, cannot be evaluated; the message says why."""


@dataclass
class Arg:
    """A declared launch argument."""

    name: str
    default: str | None  # unsubstituted text; None: the argument must be given
    description: str | None


@dataclass
class Process:
    """One process the launch would start."""

    kind: str  # "executable", "node" or "include"
    name: str  # the process name (executable name=, or the node's name)
    cmd: list[str]  # argv, fully substituted
    output: str | None  # screen | log | both, or None if not given
    params: dict | None = None  # node: the name/value params written to the temp YAML
    params_files: list[str] = field(default_factory=list)  # node: every --params-file, in order


# What each element may carry; anything else is rejected.
_ATTRS = {
    "launch": set(),
    "arg": {"name", "default", "description"},
    "let": {"name", "value", "if", "unless"},
    "executable": {"cmd", "name", "output", "if", "unless"},
    "node": {"pkg", "exec", "name", "namespace", "args", "output", "if", "unless"},
    "include": {"file", "if", "unless"},
    "param": {"from", "name", "value"},
    "include-arg": {"name", "value"},
}
# The children each element may hold.
_CHILDREN = {"node": "param", "include": "arg"}
_OUTPUTS = {"screen", "log", "both"}


# ---------------------------------------------------------------------------------------------
# Substitution syntax: a template is a list of parts, each a str or a _Subst.

@dataclass
class _Subst:
    name: str
    args: list  # each argument is itself a list of parts


_ESCAPABLE = set("$'\"\\() ")


class _Parser:
    def __init__(self, text):
        self.s = text
        self.i = 0

    def error(self, msg):
        raise LaunchError(f"substitution syntax in {self.s!r} at offset {self.i}: {msg}")

    def peek(self, n=1):
        return self.s[self.i:self.i + n]

    def template(self):
        """Top level: literal text (quotes are literal here) and substitutions."""
        parts = []
        while self.i < len(self.s):
            if self.peek(2) == "$(":
                parts.append(self.substitution())
            else:
                parts.append(self.char(stop=""))
        return _merge(parts)

    def char(self, stop):
        """One literal character, resolving a backslash escape; stop: chars that end the text."""
        c = self.s[self.i]
        if c == "\\" and self.i + 1 < len(self.s) and self.s[self.i + 1] in _ESCAPABLE:
            self.i += 2
            return self.s[self.i - 1]
        if c in stop:
            self.error(f"unexpected {c!r}")
        self.i += 1
        return c

    def substitution(self):
        self.i += 2  # "$("
        start = self.i
        while self.i < len(self.s) and (self.s[self.i].isalnum() or self.s[self.i] in "_-"):
            self.i += 1
        name = self.s[start:self.i]
        if not name:
            self.error("a substitution needs a name after '$('")
        args = []
        while True:
            if self.i >= len(self.s):
                self.error(f"$({name} is not closed with ')'")
            c = self.s[self.i]
            if c == ")":
                self.i += 1
                return _Subst(name, args)
            if c != " ":
                self.error(f"expected ' ' or ')' after $({name}")
            self.i += 1
            args.append(self.argument())

    def argument(self):
        q = self.peek()
        if q in ("'", '"'):
            self.i += 1
            parts = []
            while True:
                if self.i >= len(self.s):
                    self.error(f"unterminated {q}-quoted argument")
                if self.s[self.i] == q:
                    self.i += 1
                    return _merge(parts)
                if self.peek(2) == "$(":
                    parts.append(self.substitution())
                else:
                    parts.append(self.char(stop=""))
        parts = []
        while self.i < len(self.s) and self.s[self.i] not in " )":
            if self.peek(2) == "$(":
                parts.append(self.substitution())
            else:
                parts.append(self.char(stop="'\"("))
        if not parts:
            self.error("empty substitution argument")
        return _merge(parts)


def _merge(parts):
    out = []
    for p in parts:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] += p
        else:
            out.append(p)
    return out


def parse_substitutions(text):
    """Parse launch substitution syntax into parts (str or substitution); LaunchError if malformed."""
    return _Parser(text).template()


# ---------------------------------------------------------------------------------------------
# Evaluation.

class _Context:
    def __init__(self, prefixes):
        self.prefixes = [Path(p) for p in prefixes]
        self.config = {}  # launch configurations: name -> str

    def package_prefix(self, pkg):
        for p in self.prefixes:
            if (p / "share" / "ament_index" / "resource_index" / "packages" / pkg).is_file():
                return p
        raise LaunchError(f"package {pkg!r} not found in any prefix ({', '.join(map(str, self.prefixes))}): "
                          "is it installed and on AMENT_PREFIX_PATH?")

    def perform(self, parts):
        return "".join(p if isinstance(p, str) else self.substitute(p) for p in parts)

    def substitute(self, s):
        args = [self.perform(a) for a in s.args]

        def want(n):
            if len(args) != n:
                raise LaunchError(f"$({s.name}) takes {n} argument(s), got {len(args)}: {args}")

        if s.name == "var":
            want(1)
            if args[0] not in self.config:
                raise LaunchError(f"$(var {args[0]}): no launch argument or configuration named {args[0]!r}")
            return self.config[args[0]]
        if s.name == "find-pkg-share":
            want(1)
            return str(self.package_prefix(args[0]) / "share" / args[0])
        if s.name == "find-pkg-prefix":
            want(1)
            return str(self.package_prefix(args[0]))
        if s.name == "eval":
            if len(args) not in (1, 2):
                raise LaunchError(f"$(eval) takes the expression (and optionally modules), got {args}")
            if len(args) == 2:
                raise LaunchError("$(eval EXPR MODULES): the modules argument is not modelled by test/launchxml.py")
            scope = {"math": math, **{k: v for k, v in vars(math).items() if not k.startswith("_")}}
            try:
                return str(eval(args[0], scope))  # noqa: S307 — the repo's own launch file, as launch does
            except Exception as e:  # any error in the expression is the launch file's fault
                raise LaunchError(f"$(eval {args[0]!r}) failed: {type(e).__name__}: {e}") from e
        if s.name == "command":
            want(1)
            return _command(args[0])
        raise LaunchError(f"substitution $({s.name} ...) is not modelled by test/launchxml.py "
                          "(supported: var, find-pkg-share, find-pkg-prefix, eval, command)")

    def text(self, value):
        return self.perform(parse_substitutions(value))

    def condition(self, el):
        """Whether el's if/unless lets it run."""
        for attr, want in (("if", True), ("unless", False)):
            if attr in el.attrib:
                v = self.text(el.attrib[attr])
                if v.lower() in ("true", "1"):
                    b = True
                elif v.lower() in ("false", "0"):
                    b = False
                else:
                    raise LaunchError(f"<{el.tag} {attr}=...> evaluated to {v!r}; launch accepts only "
                                      "true/false/1/0 (any case)")
                if b != want:
                    return False
        return True

    def split_cmd(self, value):
        """Split like launch's ExecuteProcess: whitespace in literal text separates arguments;
        a substitution's value is never split."""
        argv, cur, have = [], "", False
        for p in parse_substitutions(value):
            if isinstance(p, str):
                for ch in p:
                    if ch.isspace():
                        if have:
                            argv.append(cur)
                        cur, have = "", False
                    else:
                        cur, have = cur + ch, True
            else:
                cur, have = cur + self.substitute(p), True
        if have:
            argv.append(cur)
        return argv


def _command(text):
    """$(command 'CMD'): launch's Command substitution splits CMD like a POSIX shell (shlex), runs
    it and takes its stdout; a non-zero exit, or anything on stderr (on_stderr='fail'), fails."""
    try:
        r = subprocess.run(shlex.split(text), capture_output=True, text=True, timeout=60)
    except OSError as e:
        raise LaunchError(f"$(command {text!r}) could not run: {e}") from e
    if r.returncode != 0:
        raise LaunchError(f"$(command {text!r}) exited {r.returncode}: {r.stderr.strip()}")
    if r.stderr:
        raise LaunchError(f"$(command {text!r}) wrote to stderr: {r.stderr.strip()}")
    return r.stdout


def _typed(value):
    """A name/value param's value as launch_ros types it: yaml.safe_load of the string, kept as
    the string when that is not a scalar or a list of one scalar type."""
    try:
        v = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    if type(v) in (bool, int, float, str):
        return v
    if isinstance(v, list) and v and all(type(x) in (bool, int, float, str) for x in v):
        kinds = {type(x) for x in v}
        if len(kinds) == 1:
            return v
        if kinds == {int, float}:
            return [float(x) for x in v]
        raise LaunchError(f"param value {value!r}: a list must hold one type (launch_ros rejects mixed lists)")
    return value


def _add_param(params, name, value):
    # launch_ros flattens nested params to dotted names; rcl reads both forms alike.
    if name in params:
        raise LaunchError(f"param {name!r} is given twice")
    params[name] = value


class LaunchFile:
    """A parsed launch file. Construction checks the structure; evaluate() substitutes."""

    def __init__(self, path):
        self.path = Path(path)
        try:
            root = ET.parse(self.path).getroot()
        except ET.ParseError as e:
            raise LaunchError(f"{self.path}: not well-formed XML: {e}") from e
        if root.tag != "launch":
            raise LaunchError(f"{self.path}: the root element is <{root.tag}>, launch wants <launch>")
        self._check(root)
        self.root = root
        self.args = {}  # name -> Arg, in file order
        for el in root:
            if el.tag == "arg":
                name = el.get("name")
                if name in self.args:
                    raise LaunchError(f"{self.path}: <arg name={name!r}> is declared twice")
                self.args[name] = Arg(name, el.get("default"), el.get("description"))

    def _check(self, root):
        def where(el):
            return f"{self.path}: <{el.tag}{' name=' + repr(el.get('name')) if el.get('name') else ''}>"

        for attr in root.attrib:
            raise LaunchError(f"{where(root)}: attribute {attr!r} is not modelled by test/launchxml.py")
        stray = [t.strip() for t in [root.text] + [el.tail for el in root] + [c.tail for el in root for c in el]
                 if t and t.strip()]
        if stray:
            raise LaunchError(f"{self.path}: unexpected text {stray[0]!r} between elements")
        for el in root:
            if el.tag not in ("arg", "let", "executable", "node", "include"):
                raise LaunchError(f"{where(el)}: element <{el.tag}> is not modelled by test/launchxml.py "
                                  "(supported in <launch>: arg, let, executable, node, include)")
            for attr in el.attrib:
                if attr not in _ATTRS[el.tag]:
                    raise LaunchError(f"{where(el)}: attribute {attr!r} is not modelled by test/launchxml.py "
                                      f"(supported: {', '.join(sorted(_ATTRS[el.tag]))})")
            required = {"arg": ("name",), "let": ("name", "value"), "executable": ("cmd",), "node": ("pkg", "exec"),
                        "include": ("file",)}[el.tag]
            for attr in required:
                if attr not in el.attrib:
                    raise LaunchError(f"{where(el)}: attribute {attr!r} is required")
            if el.get("output") is not None and el.get("output") not in _OUTPUTS:
                raise LaunchError(f"{where(el)}: output={el.get('output')!r}; use one of {sorted(_OUTPUTS)}")
            if (el.text or "").strip():
                raise LaunchError(f"{where(el)}: unexpected text {el.text.strip()!r}")
            for child in el:
                if _CHILDREN.get(el.tag) != child.tag:
                    raise LaunchError(f"{where(el)}: child <{child.tag}> is not modelled by test/launchxml.py "
                                      "(only <node> may hold <param>, and <include> <arg>)")
                if el.tag == "include":
                    if set(child.attrib) != _ATTRS["include-arg"] or len(child):
                        raise LaunchError(f"{where(el)}: <arg> of an include needs exactly name= and value=")
                    continue
                for attr in child.attrib:
                    if attr not in _ATTRS["param"]:
                        raise LaunchError(f"{where(el)}: <param {attr}=...> is not modelled by test/launchxml.py")
                has_from, has_name, has_value = "from" in child.attrib, "name" in child.attrib, "value" in child.attrib
                if has_from and (has_name or has_value):
                    raise LaunchError(f"{where(el)}: <param from=...> takes no name or value")
                if not has_from and not (has_name and has_value):
                    raise LaunchError(f"{where(el)}: <param> needs from=, or name= and value=")
                if len(child):
                    raise LaunchError(f"{where(el)}: nested <param> children are not modelled by test/launchxml.py")

    def evaluate(self, launch_args=None, prefixes=(), tmpdir=None):
        """The processes a launch with these `name:=value` arguments would start, in file order.

        launch_args: {name: value}; every name must be a declared <arg>.
        prefixes: install prefixes to find packages in (like AMENT_PREFIX_PATH).
        tmpdir: where the nodes' name/value params YAML files are written (needed if a node has any).
        """
        launch_args = dict(launch_args or {})
        unknown = sorted(set(launch_args) - set(self.args))
        if unknown:
            raise LaunchError(f"unknown launch argument(s) {unknown}; {self.path.name} declares "
                              f"{list(self.args)}")
        ctx = _Context(prefixes)
        ctx.config.update(launch_args)
        procs = []
        for el in self.root:
            if el.tag == "arg":
                name = el.get("name")
                if name not in ctx.config:
                    if el.get("default") is None:
                        raise LaunchError(f"launch argument {name!r} is required (it has no default): "
                                          f"pass {name}:=VALUE")
                    ctx.config[name] = ctx.text(el.get("default"))
            elif not ctx.condition(el):
                continue
            elif el.tag == "let":
                ctx.config[ctx.text(el.get("name"))] = ctx.text(el.get("value"))
            elif el.tag == "include":
                path = Path(ctx.text(el.get("file")))
                if not path.is_file():
                    raise LaunchError(f"<include file={str(path)!r}>: no such launch file")
                procs.append(Process("include", str(path), [], None,
                                     {ctx.text(a.get("name")): ctx.text(a.get("value")) for a in el}))
            elif el.tag == "executable":
                argv = ctx.split_cmd(el.get("cmd"))
                if not argv:
                    raise LaunchError(f"{self.path}: <executable> cmd is empty after substitution")
                procs.append(Process("executable", ctx.text(el.get("name")) if el.get("name") else Path(argv[0]).name,
                                     argv, el.get("output")))
            else:
                procs.append(self._node(ctx, el, tmpdir))
        return procs

    def _node(self, ctx, el, tmpdir):
        pkg, exe = ctx.text(el.get("pkg")), ctx.text(el.get("exec"))
        path = ctx.package_prefix(pkg) / "lib" / pkg / exe
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise LaunchError(f"<node pkg={pkg!r} exec={exe!r}>: no executable {path}")
        name = ctx.text(el.get("name")) if el.get("name") else None
        # launch_ros puts the node's arguments (split like a cmd) before --ros-args.
        cmd = [str(path), *(ctx.split_cmd(el.get("args")) if el.get("args") else []), "--ros-args"]
        if name:
            cmd += ["-r", f"__node:={name}"]
        ns = ctx.text(el.get("namespace")) if el.get("namespace") is not None else ""
        if ns:
            # launch_ros makes a relative namespace absolute; an empty one leaves the node at the root.
            cmd += ["-r", f"__ns:={ns if ns.startswith('/') else '/' + ns}"]
        files, params = [], {}
        # launch_ros passes every from= file first, in order, then one YAML of all name/value params.
        for p in el:
            if "from" in p.attrib:
                files.append(ctx.text(p.get("from")))
            else:
                _add_param(params, ctx.text(p.get("name")), _typed(ctx.text(p.get("value"))))
        if params:
            if tmpdir is None:
                raise LaunchError("evaluate() needs tmpdir to write the node's params YAML")
            with tempfile.NamedTemporaryFile("w", dir=tmpdir, prefix="launch_params_", delete=False) as h:
                yaml.dump({"/**": {"ros__parameters": params}}, h, default_flow_style=False)
            files.append(h.name)
        for f in files:
            cmd += ["--params-file", f]
        return Process("node", name or exe, cmd, el.get("output"), params or None, files)


def make_install_prefix(prefix, root, pkg="aether_bridge", executables=("aether_bridge", "aether_controller"),
                        share_dirs=("launch", "config")):
    """A fake install prefix for pkg: lib/<pkg>/<exe> symlinked to root/bin/<exe>, share/<pkg>/<dir>
    symlinked to root/<dir>, and the ament_index marker that makes the prefix findable."""
    prefix, root = Path(prefix), Path(root)
    (prefix / "lib" / pkg).mkdir(parents=True)
    for exe in executables:
        (prefix / "lib" / pkg / exe).symlink_to(root / "bin" / exe)
    (prefix / "share" / pkg).mkdir(parents=True)
    for d in share_dirs:
        (prefix / "share" / pkg / d).symlink_to(root / d, target_is_directory=True)
    marker = prefix / "share" / "ament_index" / "resource_index" / "packages" / pkg
    marker.parent.mkdir(parents=True)
    marker.write_text("")
    return prefix
