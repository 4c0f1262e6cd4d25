/*
 * passphrase.c - what an export's passphrase must be (docs/vault.md):
 * at least VAULT_PASS_MIN code points, and not one of the passphrases
 * attackers try first. An export seals all of a user's data in a file
 * anyone holding it may attack offline at PBKDF2's price; an import
 * takes whatever passphrase the old app sealed with.
 *
 * The list: long entries (12 code points and more; shorter ones fail
 * the length rule anyway) that head the public breach-corpus lists —
 * keyboard walks, repeats, counting, words with digits, famous
 * phrases — compared without regard to ASCII case.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vault/vault.h"

static const char *const common[] = {
	"000000000000", "111111111111", "123123123123", "121212121212",
	"123456789012", "1234567890123", "12345678901234", "123456789123",
	"1234567891011", "123456123456", "987654321098", "098765432109",
	"aaaaaaaaaaaa", "abcdefghijkl", "abcdefghijklmnop",
	"abcdefghijklmnopqrstuvwxyz", "abc123456789", "abcabcabcabc",
	"qwertyuiop12", "qwertyuiop123", "qwertyuiopasdf",
	"qwertyuiopasdfghjkl", "qwertyuiopasdfghjklzxcvbnm",
	"qwerty123456", "qwerty1234567", "qwertyqwerty", "qwer1234asdf",
	"1qaz2wsx3edc", "1qaz2wsx3edc4rfv", "zaq12wsxcde3", "qazwsxedcrfv",
	"qazwsxedc123", "1q2w3e4r5t6y", "1q2w3e4r5t6y7u8i",
	"1234qwerasdfzxcv", "!qaz2wsx#edc", "1234567890qwertyuiop",
	"asdfghjkl123", "asdfasdfasdf", "zxcvbnm12345",
	"passwordpassword", "password1234", "password12345",
	"password123456", "password1234567", "passw0rd1234",
	"password!123", "mypassword123", "administrator", "adminadmin123",
	"changeme1234", "letmein12345", "welcome12345", "iloveyou1234",
	"iloveyouiloveyou", "lovelovelove", "monkeymonkey", "princess1234",
	"sunshine1234", "football1234", "baseball1234", "superman1234",
	"starwars1234", "trustno1trustno1", "blink182blink182",
	"myspace12345", "thequickbrownfox",
	"the quick brown fox jumps over the lazy dog",
	"correcthorsebatterystaple", "correct horse battery staple",
	"my passphrase", "my secret passphrase", "this is my password",
	NULL
};

int
vault_passphrase_weak(const char *p, char *why, size_t len)
{
	size_t	 i, points = 0;

	/* Code points: every byte but UTF-8's continuation bytes. */
	for (i = 0; p[i] != '\0'; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			points++;
	if (points < VAULT_PASS_MIN) {
		snprintf(why, len, "passphrase: at least %d characters (this "
		    "has %zu): an export holds all your data", VAULT_PASS_MIN,
		    points);
		return 1;
	}
	for (i = 0; common[i] != NULL; i++)
		if (strcasecmp(p, common[i]) == 0) {
			snprintf(why, len, "passphrase: one of the most common "
			    "passwords, which are tried first; choose another");
			return 1;
		}
	return 0;
}
