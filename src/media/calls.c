/*
 * calls.c - see calls.h.
 */
#include "media/calls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t hash(const struct pl *p)
{
	uint32_t h = 2166136261u; /* FNV-1a: Call-IDs are not secret keys
				     here, and the table is bounded */
	for (size_t i = 0; i < p->l; i++)
		h = (h ^ (uint8_t)p->p[i]) * 16777619u;
	return h;
}

int media_calls_init(struct media_calls *c, uint32_t max)
{
	memset(c, 0, sizeof(*c));
	c->max = max;
	c->nbuckets = 1;
	while (c->nbuckets < max * 2)
		c->nbuckets <<= 1;
	c->e = calloc(max, sizeof(*c->e));
	c->bucket = malloc(c->nbuckets * sizeof(*c->bucket));
	c->by_id = malloc(c->nbuckets * sizeof(*c->by_id));
	if (!c->e || !c->bucket || !c->by_id) {
		free(c->e);
		free(c->bucket);
		free(c->by_id);
		return ENOMEM;
	}
	for (uint32_t i = 0; i < c->nbuckets; i++)
		c->bucket[i] = c->by_id[i] = -1;
	for (uint32_t i = 0; i < max; i++)
		c->e[i].next = i + 1 < max ? (int32_t)(i + 1) : -1;
	c->free = max ? 0 : -1;
	pthread_mutex_init(&c->lock, NULL);
	return 0;
}

void media_calls_destroy(struct media_calls *c)
{
	if (!c->e)
		return;
	for (uint32_t i = 0; i < c->max; i++)
		free(c->e[i].dlg);
	pthread_mutex_destroy(&c->lock);
	free(c->e);
	free(c->bucket);
	free(c->by_id);
	c->e = NULL;
}

/* The by-id chain of session id. */
static int32_t *id_bucket(struct media_calls *c, uint32_t id)
{
	return &c->by_id[(id * 2654435761u) & (c->nbuckets - 1)];
}

static void id_link(struct media_calls *c, int32_t i)
{
	int32_t *b = id_bucket(c, c->e[i].info.id);

	c->e[i].next_id = *b;
	*b = i;
}

static void id_unlink(struct media_calls *c, int32_t i)
{
	int32_t *l = id_bucket(c, c->e[i].info.id);

	while (*l >= 0 && *l != i)
		l = &c->e[*l].next_id;
	if (*l == i)
		*l = c->e[i].next_id;
}

/* Unlink the entry *link points at; it goes back to the free list. */
static void entry_drop(struct media_calls *c, int32_t *link)
{
	int32_t i = *link;

	id_unlink(c, i);
	*link = c->e[i].next;
	explicit_bzero(&c->e[i].info, sizeof(c->e[i].info));
	free(c->e[i].dlg);
	c->e[i].dlg = NULL;
	c->e[i].next = c->free;
	c->free = i;
	c->used--;
}

/* The link that points at callid's entry (or at -1). */
static int32_t *find(struct media_calls *c, const struct pl *callid)
{
	int32_t *link = &c->bucket[hash(callid) & (c->nbuckets - 1)];

	while (*link >= 0) {
		struct media_call *e = &c->e[*link];
		if (e->len == callid->l && !memcmp(e->callid, callid->p, callid->l))
			break;
		link = &e->next;
	}
	return link;
}

int media_calls_put(struct media_calls *c, const struct pl *callid,
		    const struct media_call_info *info)
{
	int32_t *link, i;

	if (callid->l == 0 || callid->l > MEDIA_CALLID_MAX)
		return EINVAL;
	pthread_mutex_lock(&c->lock);
	link = find(c, callid);
	if (*link >= 0) {
		struct media_call *e = &c->e[*link];
		if (e->info.id != info->id) { /* another call, same Call-ID */
			free(e->dlg);
			e->dlg = NULL;
			id_unlink(c, *link);
			e->info = *info;
			id_link(c, *link);
		} else {
			e->info = *info;
		}
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	i = c->free;
	if (i < 0) {
		pthread_mutex_unlock(&c->lock);
		return ENOSPC;
	}
	c->free = c->e[i].next;
	memcpy(c->e[i].callid, callid->p, callid->l);
	c->e[i].len = (uint8_t)callid->l;
	c->e[i].info = *info;
	c->e[i].next = -1;
	*link = i;
	id_link(c, i);
	c->used++;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

uint32_t media_calls_get(struct media_calls *c, const struct pl *callid,
			 bool take, struct media_call_info *out)
{
	int32_t *link, i;
	uint32_t id = 0;

	if (callid->l == 0 || callid->l > MEDIA_CALLID_MAX)
		return 0;
	pthread_mutex_lock(&c->lock);
	link = find(c, callid);
	i = *link;
	if (i >= 0) {
		id = c->e[i].info.id;
		if (out)
			*out = c->e[i].info;
		if (take)
			entry_drop(c, link);
	}
	pthread_mutex_unlock(&c->lock);
	return id;
}

uint32_t media_calls_sweep(struct media_calls *c,
			   bool (*alive)(void *arg, uint32_t id), void *arg)
{
	uint32_t gone = 0;

	pthread_mutex_lock(&c->lock);
	for (uint32_t b = 0; b < c->nbuckets; b++) {
		int32_t *link = &c->bucket[b];
		while (*link >= 0) {
			int32_t i = *link;
			if (alive(arg, c->e[i].info.id)) {
				link = &c->e[i].next;
				continue;
			}
			entry_drop(c, link);
			gone++;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return gone;
}

int media_calls_set_dialog(struct media_calls *c, const struct pl *callid,
			   struct media_dialog *dlg)
{
	int32_t *link;

	if (callid->l == 0 || callid->l > MEDIA_CALLID_MAX) {
		free(dlg);
		return ENOENT;
	}
	pthread_mutex_lock(&c->lock);
	link = find(c, callid);
	if (*link < 0) {
		pthread_mutex_unlock(&c->lock);
		free(dlg);
		return ENOENT;
	}
	free(c->e[*link].dlg);
	c->e[*link].dlg = dlg;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void media_calls_cseq(struct media_calls *c, const struct pl *callid,
		      unsigned leg, uint32_t cseq)
{
	int32_t *link;

	if (callid->l == 0 || callid->l > MEDIA_CALLID_MAX || leg > 1)
		return;
	pthread_mutex_lock(&c->lock);
	link = find(c, callid);
	if (*link >= 0 && c->e[*link].dlg && c->e[*link].dlg->cseq[leg] < cseq)
		c->e[*link].dlg->cseq[leg] = cseq;
	pthread_mutex_unlock(&c->lock);
}

struct media_dialog *media_calls_take_session(struct media_calls *c,
					      uint32_t id)
{
	struct media_dialog *dlg = NULL;
	int32_t i;

	pthread_mutex_lock(&c->lock);
	for (i = *id_bucket(c, id); i >= 0; i = c->e[i].next_id)
		if (c->e[i].info.id == id)
			break;
	if (i >= 0) {
		struct media_call *e = &c->e[i];
		struct pl cid = pl_make(e->callid, e->len);
		dlg = e->dlg;
		e->dlg = NULL;
		entry_drop(c, find(c, &cid));
	}
	pthread_mutex_unlock(&c->lock);
	return dlg;
}
