#pragma once
#include <libpq-fe.h>

/* Swift imports only numeric and string macros; libpq's diagnostic field codes are
   character literals ('C', 'M', ...), so they are re-exported here as constants. */
static const int CLIBPQ_DIAG_SQLSTATE = PG_DIAG_SQLSTATE;
static const int CLIBPQ_DIAG_MESSAGE_PRIMARY = PG_DIAG_MESSAGE_PRIMARY;
static const int CLIBPQ_DIAG_MESSAGE_DETAIL = PG_DIAG_MESSAGE_DETAIL;
static const int CLIBPQ_DIAG_MESSAGE_HINT = PG_DIAG_MESSAGE_HINT;
static const int CLIBPQ_DIAG_CONSTRAINT_NAME = PG_DIAG_CONSTRAINT_NAME;
static const int CLIBPQ_DIAG_TABLE_NAME = PG_DIAG_TABLE_NAME;
static const int CLIBPQ_DIAG_COLUMN_NAME = PG_DIAG_COLUMN_NAME;
static const int CLIBPQ_DIAG_SEVERITY_NONLOCALIZED = PG_DIAG_SEVERITY_NONLOCALIZED;
