"""Pure standardisation functions: one written value in, one canonical frozen value out.

Every function accepts odd but readable input without raising: invalid identifiers, phones
and addresses come back flagged (``valid=False`` or ``problem``). Empty input gives None.
Only :func:`parse_date` and :func:`standardise_gender` raise, on text that is not a date or
gender at all, so the loader can quarantine the record.
"""

from huitong.standardise.addresses import Address, parse_address
from huitong.standardise.dates import parse_date, standardise_gender
from huitong.standardise.enterprise_names import EnterpriseName, standardise_enterprise_name
from huitong.standardise.identifiers import (
    ResidentId,
    Uscc,
    contradiction,
    resident_id_check_char,
    standardise_resident_id,
    standardise_uscc,
    uscc_check_char,
)
from huitong.standardise.names import (
    PersonName,
    homophone_key,
    homophone_variants,
    standardise_person_name,
)
from huitong.standardise.phones import Phone, standardise_phone, standardise_phones
from huitong.standardise.text import clean_text, to_simplified

__all__ = [
    "Address",
    "EnterpriseName",
    "PersonName",
    "Phone",
    "ResidentId",
    "Uscc",
    "clean_text",
    "contradiction",
    "homophone_key",
    "homophone_variants",
    "parse_address",
    "parse_date",
    "resident_id_check_char",
    "standardise_enterprise_name",
    "standardise_gender",
    "standardise_person_name",
    "standardise_phone",
    "standardise_phones",
    "standardise_resident_id",
    "standardise_uscc",
    "to_simplified",
    "uscc_check_char",
]
