"""Subtree access queries on the large demo organization, against hand-written SQL over the same rows.

Prints the time of Keel's access queries, the raw SQL baseline, and last `ratio=<keel/raw>`.
"""

import argparse
import random

from harness import best_of, scratch_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with scratch_database("subtree") as connection:
        from org import access, demo
        from org.models import Department, User
        from org.paths import paths_sql

        demo.seed_organization(rng=random.Random(args.seed), size="large")
        division = Department.objects.get(code="customer-service")
        manager = User.objects.get(username="manager")
        print(f"{Department.objects.count()} departments, {User.objects.count()} people, {connection.vendor}")

        def keel():
            fresh = User.objects.get(pk=manager.pk)  # no cached paths: the access module does all its queries
            departments = list(access.managed_departments(fresh).values_list("pk", flat=True))
            people = list(access.visible_people(fresh).values_list("pk", flat=True))
            return len(departments), len(people)

        def raw():
            with connection.cursor() as cursor:
                cursor.execute("SELECT id FROM org_user WHERE id = %s", [manager.pk])
                cursor.fetchall()
                below, params = paths_sql("d", [division.path])
                cursor.execute(f"SELECT id FROM org_department d WHERE {below}", params)
                departments = cursor.fetchall()
                cursor.execute(
                    "SELECT u.id FROM org_user u LEFT JOIN org_department d ON d.id = u.department_id "
                    f"WHERE u.id = %s OR {below}",
                    [manager.pk, *params],
                )
                return len(departments), len(cursor.fetchall())

        assert keel() == raw(), (keel(), raw())
        keel_time, raw_time = best_of(keel), best_of(raw)
        print(f"managed subtree: {keel()[0]} departments, {keel()[1]} people")
        print(f"keel access queries: {keel_time * 1000:.2f} ms")
        print(f"raw SQL baseline:    {raw_time * 1000:.2f} ms")
        print(f"ratio={keel_time / raw_time:.2f}")


if __name__ == "__main__":
    main()
