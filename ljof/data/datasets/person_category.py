"""Which category of a COCO-format json is "person", and which prediction category ids mean it.

Person keypoint jsons usually have the single category ``{"id": 1, "name": "person"}``, but files made by
other tools may number it 0 or 2 or carry extra categories. The person category is the one named
``"person"``, else the only category; any id is accepted. LJOF writes its own predictions with
``category_id`` 1, so 1 also means person unless the json gives id 1 to another category.
"""

import logging
from typing import Dict, FrozenSet, Sequence, Tuple

__all__ = ["PERSON_NAME", "LJOF_PERSON_CATEGORY_ID", "find_person_category"]

logger = logging.getLogger(__name__)

PERSON_NAME = "person"
# The category id LJOF writes into its own results and person records.
LJOF_PERSON_CATEGORY_ID = 1


def find_person_category(categories: Sequence[Dict], source: str) -> Tuple[int, FrozenSet[int]]:
    """The person category of a COCO-format ``categories`` list.

    Args:
        categories: the json's ``categories`` (dicts with ``id`` and ``name``).
        source: the file name, for messages.

    Returns:
        ``(person_id, accepted_ids)``: the person category's id, and the ``category_id`` values that
        predictions and detections may carry for it (``person_id``, plus 1 when no other category has
        id 1). A person id other than 1 is logged.

    Raises:
        ValueError: no category list, no category named "person" among several, or two of them.
    """
    if not categories:
        raise ValueError(f"{source}: the json has no categories; a person keypoint file needs one")
    named = [c for c in categories if str(c.get("name", "")).lower() == PERSON_NAME]
    if len(named) > 1:
        ids = [c.get("id") for c in named]
        raise ValueError(f"{source}: {len(named)} categories are named 'person' (ids {ids})")
    if named:
        person = named[0]
    elif len(categories) == 1:
        person = categories[0]
    else:
        names = [(c.get("id"), c.get("name")) for c in categories]
        raise ValueError(
            f"{source}: none of the {len(categories)} categories is named 'person' ({names}); "
            "rename the person category or keep only it"
        )
    if "id" not in person:
        raise ValueError(f"{source}: the person category {person} has no 'id'")
    person_id = int(person["id"])
    others = {int(c["id"]) for c in categories if c is not person and "id" in c}
    accepted = {person_id}
    if LJOF_PERSON_CATEGORY_ID not in others:
        accepted.add(LJOF_PERSON_CATEGORY_ID)
    if person_id != LJOF_PERSON_CATEGORY_ID:
        logger.info(
            f"{source}: person category is id {person_id} ({person.get('name')!r}); it is used for "
            f"the ground truth, and predictions/detections with category_id in {sorted(accepted)} "
            "count as person"
        )
    return person_id, frozenset(accepted)
