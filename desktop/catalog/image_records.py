"""The images a site holds and each profile needs: the image blobs a bundle brought or a push put in the
site registry (what `bundle have` lists), and per profile the images it needs and which bundle carried them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProfileImage:
    reference: str
    carried_at: float | None  # the date of the bundle that carried it; None: missing


def remember_image_blobs(db: sqlite3.Connection, digests: Iterable[str], at: float, repository: str = "") -> None:
    """Record blobs this site holds; a repository of the site registry that holds one replaces none known."""
    db.executemany(
        "INSERT INTO image_blobs (digest, repository, at) VALUES (?, ?, ?) ON CONFLICT (digest) DO UPDATE SET"
        " repository = CASE WHEN excluded.repository = '' THEN repository ELSE excluded.repository END,"
        " at = max(at, excluded.at)",
        [(digest, repository, at) for digest in sorted(set(digests))],
    )


def image_blob_digests(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT digest FROM image_blobs")}


def image_blob_homes(db: sqlite3.Connection) -> dict[str, str]:
    """digest → a repository of the site registry that holds it (pushed from here)."""
    return dict(db.execute("SELECT digest, repository FROM image_blobs WHERE repository != ''").fetchall())


def set_profile_images(db: sqlite3.Connection, profile_id: int, carried: dict[str, float | None]) -> None:
    """The images a profile needs now (reference → date of the bundle carrying it, None: not carried);
    one an earlier bundle carried stays carried by it."""
    before = {image.reference: image.carried_at for image in profile_images(db, profile_id)}
    db.execute("DELETE FROM profile_images WHERE profile_id = ?", (profile_id,))
    db.executemany(
        "INSERT INTO profile_images (profile_id, reference, carried_at) VALUES (?, ?, ?)",
        [(profile_id, ref, at if at is not None else before.get(ref)) for ref, at in sorted(carried.items())],
    )


def profile_images(db: sqlite3.Connection, profile_id: int) -> list[ProfileImage]:
    rows = db.execute(
        "SELECT reference, carried_at FROM profile_images WHERE profile_id = ? ORDER BY reference", (profile_id,)
    )
    return [ProfileImage(row[0], row[1]) for row in rows]


def images_text(images: list[ProfileImage]) -> str:
    """`3 needed, 2 carried by bundle of 2026-12-07 / missing: quay.io/a/b:1` (empty: nothing recorded)."""
    from desktop.timefmt import local_date

    if not images:
        return ""
    by_date: dict[str, int] = {}
    for image in images:
        if image.carried_at is not None:
            day = local_date(image.carried_at)
            by_date[day] = by_date.get(day, 0) + 1
    carried = ", ".join(f"{count} carried by bundle of {day}" for day, count in sorted(by_date.items()))
    text = f"{len(images)} needed" + (f", {carried}" if carried else ", none carried")
    missing = [image.reference for image in images if image.carried_at is None]
    return text + (f" / missing: {', '.join(missing)}" if missing else "")
