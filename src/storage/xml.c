/*
 * xml.c - the object store speaks XML: its answers are read with
 * libxml2 (no network, no entity expansion beyond XML's own, no error
 * output), and the two bodies passiond writes are escaped here.
 */
#include "config.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "storage/storage.h"

void
storage_xml_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&apos;");
			break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\t' &&
			    *s != '\n' && *s != '\r')
				buf_printf(b, "&#x%X;", (unsigned char)*s);
			else
				buf_putc(b, *s);
		}
}

/* The text of node, into the arena. */
static const char *
text_of(struct arena *a, xmlNode *node)
{
	xmlChar		*t = xmlNodeGetContent(node);
	const char	*s;

	s = arena_strdup(a, t != NULL ? (const char *)t : "");

	xmlFree(t);
	return s;
}

/* Walk the tree: each element called name, its children's texts. */
static void
walk(struct arena *a, xmlNode *node, const char *name,
    const char *const *fields, size_t nfields, struct storage_xml_rec **out,
    size_t *n, size_t *cap)
{
	xmlNode	*c, *f;
	size_t	 i;

	for (c = node; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)c->name, name) != 0) {
			walk(a, c->children, name, fields, nfields, out, n,
			    cap);
			continue;
		}
		if (*n == *cap) {
			struct storage_xml_rec *grown;

			*cap = *cap ? *cap * 2 : 16;
			grown = arena_calloc(a, *cap * sizeof(**out));
			if (*n > 0)
				memcpy(grown, *out, *n * sizeof(**out));
			*out = grown;
		}
		for (f = c->children; f != NULL; f = f->next) {
			if (f->type != XML_ELEMENT_NODE)
				continue;
			for (i = 0; i < nfields && i < STORAGE_XML_FIELDS; i++)
				if (strcmp((const char *)f->name,
				    fields[i]) == 0)
					(*out)[*n].v[i] = text_of(a, f);
		}
		if (nfields == 0)
			(*out)[*n].v[0] = text_of(a, c);
		(*n)++;
	}
}

int
storage_xml_records(struct arena *a, const char *body, size_t len,
    const char *name, const char *const *fields, size_t nfields,
    struct storage_xml_rec **out, size_t *n)
{
	xmlDoc	*doc;
	size_t	 cap = 0;

	*out = NULL;
	*n = 0;
	if (body == NULL || len == 0 || len > (size_t)0x7fffffff)
		return -1;
	doc = xmlReadMemory(body, (int)len, NULL, NULL, XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
	if (doc == NULL)
		return -1;
	walk(a, xmlDocGetRootElement(doc), name, fields, nfields, out, n, &cap);
	xmlFreeDoc(doc);
	return 0;
}

const char *
storage_xml_text(struct arena *a, const char *body, size_t len,
    const char *name)
{
	struct storage_xml_rec	*r;
	size_t			 n;

	if (storage_xml_records(a, body, len, name, NULL, 0, &r, &n) != 0 ||
	    n == 0)
		return NULL;
	return r[0].v[0];
}
