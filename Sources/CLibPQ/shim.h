// libpq, PostgreSQL's C client library, for FastReceiver's forwarding to PostgreSQL.
//
// Only Sources/FastReceiverPostgres imports this module; no libpq type leaves it. The calls are
// libpq's own (PGconn and PGresult arrive in Swift as opaque pointers); the wrappers below cover
// what Swift cannot express directly.
#ifndef FAST_RECEIVER_CLIBPQ_SHIM_H
#define FAST_RECEIVER_CLIBPQ_SHIM_H

#include <libpq-fe.h>

/// PG_DIAG_SQLSTATE, a character-literal macro that Swift does not import.
static const int fr_pq_diag_sqlstate = PG_DIAG_SQLSTATE;
/// PG_DIAG_MESSAGE_PRIMARY, likewise.
static const int fr_pq_diag_message_primary = PG_DIAG_MESSAGE_PRIMARY;

static inline void fr_pq_discard_notice(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

/// Drops the server's notices and warnings (e.g. "relation already exists, skipping") instead
/// of libpq's default of printing them on stderr, which the service's log format does not own.
static inline void fr_pq_discard_notices(PGconn *conn) {
    PQsetNoticeProcessor(conn, fr_pq_discard_notice, NULL);
}

#endif
