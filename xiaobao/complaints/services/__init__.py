"""Every change to a complaint goes through one of these functions.

Each service locks the case row, checks the transition table and the caller's rights, applies the
change, recomputes the deadline when the clock is affected and writes one append-only event, all
inside one transaction: a refused request leaves nothing behind.

Split by stage: `registration`, `handling`, `extensions`, `decision` (with notice, letter
and closing), `ending` (withdrawal, decline, merge, major complaints), `reviews` (and follow-up)
and `records` (personal data, legal holds, attachments); `_common` holds what they share.
"""

from xiaobao.complaints.models import Complaint as Complaint
from xiaobao.complaints.services._common import (
    GROUP_THRESHOLD,
    MAX_GROUP_REPRESENTATIVES,
    REGULATOR_CHANNELS,
    DeferredNumbers,
    deferred_registry_numbers,
)
from xiaobao.complaints.services._common import (
    _event as _event,
)
from xiaobao.complaints.services._common import (
    _now as _now,
)
from xiaobao.complaints.services.decision import (
    Letter,
    RectificationData,
    complaint_close,
    complaint_decide,
    complaint_letter_generate,
    complaint_notify,
)
from xiaobao.complaints.services.ending import (
    DeclineGround,
    complaint_decline,
    complaint_flag_major,
    complaint_merge,
    complaint_withdraw,
)
from xiaobao.complaints.services.extensions import (
    extension_approve,
    extension_reject,
    extension_request,
)
from xiaobao.complaints.services.handling import (
    complaint_accept,
    complaint_add_new_facts,
    complaint_assign,
    complaint_classify,
    complaint_pause,
    complaint_resume,
    complaint_transfer,
    complaints_record_unit_move,
)
from xiaobao.complaints.services.records import (
    attachment_add,
    complainant_reveal,
    complaint_set_legal_hold,
    complaint_text_reveal,
    duplicates_for,
)
from xiaobao.complaints.services.registration import (
    ComplainantData,
    Registration,
    complaint_register,
    registration_prepare,
    registration_renumber,
    registration_save,
    registrations_save_bulk,
)
from xiaobao.complaints.services.reviews import (
    follow_up_record,
    review_deadline,
    review_request,
)

__all__ = [
    "GROUP_THRESHOLD",
    "MAX_GROUP_REPRESENTATIVES",
    "REGULATOR_CHANNELS",
    "ComplainantData",
    "DeclineGround",
    "DeferredNumbers",
    "Letter",
    "RectificationData",
    "Registration",
    "attachment_add",
    "complainant_reveal",
    "complaint_accept",
    "complaint_add_new_facts",
    "complaint_assign",
    "complaint_classify",
    "complaint_close",
    "complaint_decide",
    "complaint_decline",
    "complaint_flag_major",
    "complaint_letter_generate",
    "complaint_merge",
    "complaint_notify",
    "complaint_pause",
    "complaint_register",
    "complaint_resume",
    "complaint_set_legal_hold",
    "complaint_text_reveal",
    "complaint_transfer",
    "complaint_withdraw",
    "complaints_record_unit_move",
    "deferred_registry_numbers",
    "duplicates_for",
    "extension_approve",
    "extension_reject",
    "extension_request",
    "follow_up_record",
    "registration_prepare",
    "registration_renumber",
    "registration_save",
    "registrations_save_bulk",
    "review_deadline",
    "review_request",
]
