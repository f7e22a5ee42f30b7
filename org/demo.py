"""Building the demo organization: departments in three levels, their managers and members, the demo logins.

Each step is a function `step(*, rng, size, stdout) -> str` returning a one-line summary; org's step runs
first. Each step gets a generator of its own, seeded from the command's seed and the step's name. Steps must be
deterministic for a given rng and idempotent (a second run changes nothing).
"""

import random

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.text import slugify

from core import demo
from core.demo import DEMO_LOGINS, DEMO_PASSWORD
from org.models import Department, User

ORGANIZATION = "Meridian Services"

# Division name -> team names; the last four are support departments that serve the others.
DIVISIONS = {
    "Customer Service": ["Front Line", "Escalations", "Onboarding", "Quality Assurance"],
    "Operations": ["Fulfilment", "Dispatch", "Returns", "Planning"],
    "Engineering": ["Platform", "Mobile Apps", "Integrations", "Testing"],
    "Sales & Marketing": ["Key Accounts", "Inside Sales", "Marketing", "Partnerships"],
    "Finance": ["Accounts Payable", "Billing", "Controlling"],
    "IT": ["Service Desk", "Infrastructure", "Business Applications"],
    "HR": ["Recruiting", "People Development", "Payroll"],
    "Facilities": ["Workplace", "Health & Safety"],
}
SUPPORT_DIVISIONS = ("Finance", "IT", "HR", "Facilities")
REGIONS = [
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Coastal",
    "Highlands",
    "Metro",
    "Valley",
    "Harbour",
    "Lakeside",
    "Riverside",
    "Airport",
    "Downtown",
]
FIRST_NAMES = [
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Elif",
    "Farah",
    "Gus",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Xavi",
    "Yara",
    "Zane",
    "Amara",
    "Bruno",
    "Carmen",
    "Dmitri",
    "Esme",
    "Felix",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Luca",
    "Maya",
    "Noah",
    "Olga",
    "Pablo",
    "Rhea",
    "Soren",
    "Talia",
    "Ugo",
]
LAST_NAMES = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Patel",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Walsh",
    "Yilmaz",
    "Zhang",
    "Alvarez",
    "Brennan",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Mensah",
    "Novak",
    "O'Neill",
    "Petrov",
    "Quispe",
    "Reyes",
    "Silva",
    "Thompson",
    "Ueda",
    "Varga",
    "Weber",
    "Xu",
    "Young",
    "Zimmermann",
]
JOB_TITLES = {
    "Customer Service": ["Customer Advisor", "Senior Customer Advisor", "Team Lead"],
    "Operations": ["Operations Associate", "Logistics Coordinator", "Shift Lead"],
    "Engineering": ["Software Engineer", "Senior Engineer", "QA Engineer"],
    "Sales & Marketing": ["Account Executive", "Marketing Specialist", "Sales Lead"],
    "Finance": ["Accountant", "Financial Analyst", "Billing Specialist"],
    "IT": ["Service Desk Analyst", "Systems Engineer", "Application Specialist"],
    "HR": ["HR Advisor", "Recruiter", "Payroll Specialist"],
    "Facilities": ["Facilities Coordinator", "Safety Officer", "Workplace Assistant"],
}
SIZES = {
    # teams per division (beyond the base list, extra regional teams), people per team
    "small": {"regional_teams": 0, "people_per_team": (5, 9)},
    "large": {"regional_teams": 9, "people_per_team": (46, 58)},
}


def _department(*, name: str, code: str, parent: Department | None, description: str = "") -> tuple[Department, bool]:
    existing = Department.objects.filter(code=code).first()
    if existing:
        return existing, False
    department = Department(name=name, code=code, parent=parent, description=description)
    department.save()
    return department, True


def _team_names(division: str, base: list[str], regional: int) -> list[str]:
    names = list(base)
    for region in REGIONS[:regional]:
        names.append(f"{base[0]} {region}")
    return names


@transaction.atomic
def seed_organization(*, rng: random.Random, size: str, stdout=None) -> str:
    """Departments in three levels, their managers and members, and the three demo logins."""
    plan = SIZES[size]
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing per person would take minutes at 5,000
    new_departments = 0
    root, created = _department(name=ORGANIZATION, code="meridian", parent=None, description="The whole organization.")
    new_departments += created

    people: list[User] = []
    managers: list[tuple[Department, str]] = []
    used_usernames: set[str] = set(DEMO_LOGINS)

    def person(department: Department, division: str, *, username: str | None = None, title: str | None = None) -> User:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if username is None:
            stem = slugify(f"{first}.{last}").replace("-", ".")
            username, n = stem, 1
            while username in used_usernames:
                n += 1
                username = f"{stem}{n}"
        used_usernames.add(username)
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@meridian.example",
            password=password,
            department=department,
            job_title=title or rng.choice(JOB_TITLES[division]),
        )
        people.append(user)
        return user

    for division, base_teams in DIVISIONS.items():
        div_code = slugify(division)
        kind = "Serves the other departments." if division in SUPPORT_DIVISIONS else ""
        div, created = _department(name=division, code=div_code, parent=root, description=kind)
        new_departments += created
        head = person(
            div, division, title=f"Head of {division}", username="manager" if division == "Customer Service" else None
        )
        managers.append((div, head.username))
        for team in _team_names(division, base_teams, plan["regional_teams"]):
            dept, created = _department(name=team, code=f"{div_code}-{slugify(team)}", parent=div)
            new_departments += created
            lead = person(dept, division, title="Team Manager")
            managers.append((dept, lead.username))
            low, high = plan["people_per_team"]
            for i in range(rng.randint(low, high)):
                is_demo_employee = division == "Customer Service" and team == "Front Line" and i == 0
                person(dept, division, username="employee" if is_demo_employee else None)

    admin = User(
        username="admin",
        first_name="Alex",
        last_name="Admin",
        email="admin@meridian.example",
        password=password,
        department=root,
        job_title="Quality Systems Administrator",
        is_staff=True,
        is_superuser=True,
    )
    people.append(admin)
    before = User.objects.count()
    User.objects.bulk_create(people, batch_size=1000, ignore_conflicts=True)
    created_people = User.objects.count() - before

    ids = dict(User.objects.filter(username__in=[u for _d, u in managers]).values_list("username", "pk"))
    Through = Department.managers.through
    Through.objects.bulk_create(
        [Through(department_id=d.pk, user_id=ids[u]) for d, u in managers], ignore_conflicts=True
    )
    total_departments = Department.objects.count()
    return (
        f"organization: {total_departments} departments ({new_departments} new), "
        f"{User.objects.count()} people ({created_people} new)"
    )


def register() -> None:
    demo.register(name="organization", order=0, run=seed_organization)
