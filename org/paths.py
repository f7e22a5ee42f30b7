"""The subtree rule of the Department tree, once for Python and once for raw SQL (no Django needed).

Departments are stored with materialized paths of primary keys ("/1/4/17/"): a department is at or below
another when its path starts with the other's. The ORM says it through DepartmentQuerySet.subtree_of and
.subtrees (org.models); Python and raw SQL through the functions here. Nothing else spells the rule out.
"""

PATH_SEPARATOR = "/"


def path_within(path: str, ancestor_path: str) -> bool:
    """True when the department at `path` is the one at `ancestor_path` or sits anywhere below it."""
    return bool(ancestor_path) and path.startswith(ancestor_path)


def ids_on_path(path: str) -> list[int]:
    """The department ids a path names, from the top down to the department itself: "/1/4/17/" -> [1, 4, 17]."""
    return [int(part) for part in path.split(PATH_SEPARATOR) if part]


def subtree_sql(descendant: str, ancestor: str) -> str:
    """SQL condition: the org_department row aliased `descendant` is the one aliased `ancestor` or below it.

    For statements run with parameters (the '%' of LIKE is written '%%'), e.g.
    ``JOIN org_department a ON {subtree_sql("d", "a")}``.
    """
    return f"{descendant}.path LIKE {ancestor}.path || '%%'"


def paths_sql(alias: str, paths: list[str]) -> tuple[str, list[str]]:
    """SQL condition and its parameters: the org_department row aliased `alias` is at or below one of `paths`.

    `paths` must not be empty (a condition on no department is a caller's decision, not SQL's).
    """
    if not paths:
        raise ValueError("paths_sql needs at least one path.")
    return "(" + " OR ".join([f"{alias}.path LIKE %s"] * len(paths)) + ")", [f"{path}%" for path in paths]
