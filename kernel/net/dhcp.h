/*
 * dhcp.h - the DHCP client (RFC 2131, options RFC 2132).
 *
 * dhcp_start() runs the client state machine on one interface:
 *
 *   SELECTING --OFFER--> REQUESTING --ACK--> BOUND --T1--> RENEWING
 *       ^  |                  | NAK/timeouts     ^           | T2
 *       |  +--no answer: FAILED                  +---ACK-----+ REBINDING
 *       +-------------------- NAK, lease expired ------------+
 *
 * On ACK the address, netmask and router go onto the interface and the
 * callback gets the full configuration (DNS servers, domain, lease). When
 * no server answers after params.max_attempts DISCOVERs the client logs a
 * warning, reports DHCP_EVENT_FAILED and stops; the system keeps running
 * without an address. Timers run from net_timer(). Net lock held for all.
 */
#pragma once

#include "net/ipconfig.h"

struct netif;
struct dhcp_client;

enum dhcp_state {
    DHCP_SELECTING,
    DHCP_REQUESTING,
    DHCP_BOUND,
    DHCP_RENEWING,
    DHCP_REBINDING,
    DHCP_FAILED,
};

enum dhcp_event {
    DHCP_EVENT_BOUND,   /* a lease was obtained: cfg is it */
    DHCP_EVENT_RENEWED, /* the lease was extended: cfg is the new one */
    DHCP_EVENT_LOST,    /* the lease ended (NAK or expiry): address removed */
    DHCP_EVENT_FAILED,  /* nobody answered: the client stopped (cfg NULL) */
};

typedef void (*dhcp_callback)(void *arg, enum dhcp_event event, const struct net_ipconfig *cfg);

struct dhcp_params {
    const char *hostname;      /* option 12, or NULL */
    uint32_t max_attempts;     /* DISCOVERs before giving up (default 4) */
    uint32_t first_timeout_ms; /* doubles per attempt up to 64 s (default 4000) */
};

/*
 * Start a client on nif (params may be NULL). Returns 0 and *out, -ENOMEM,
 * -EBUSY (a client runs on nif already).
 */
int dhcp_start(struct netif *nif, const struct dhcp_params *params, dhcp_callback cb, void *arg,
               struct dhcp_client **out);
/* Stop: release the lease if asked (DHCPRELEASE), remove the address, free. */
void dhcp_stop(struct dhcp_client *c, bool release);
enum dhcp_state dhcp_get_state(const struct dhcp_client *c);
const char *dhcp_state_name(enum dhcp_state state);

/* ---- message parsing, exposed for tests and fuzzing ---- */

#define DHCP_DISCOVER 1
#define DHCP_OFFER 2
#define DHCP_REQUEST 3
#define DHCP_DECLINE 4
#define DHCP_ACK 5
#define DHCP_NAK 6
#define DHCP_RELEASE 7

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_FIXED_LEN 236 /* BOOTP header before the magic cookie */

/* What a server's message says. */
struct dhcp_msg {
    uint8_t type; /* DHCP_OFFER, ... (0: none) */
    uint32_t xid;
    uint8_t chaddr[6];
    uint32_t yiaddr;
    uint32_t siaddr;
    uint32_t server_id;  /* option 54, 0 when absent */
    uint32_t t1_s, t2_s; /* 0 when absent */
    struct net_ipconfig cfg;
};

/*
 * Parse a BOOTREPLY (the UDP payload). Returns 0, or -EINVAL for anything
 * malformed: short, not a reply, no magic cookie, options running past the
 * end, no message type.
 */
int dhcp_parse(const uint8_t *msg, size_t len, struct dhcp_msg *out);
