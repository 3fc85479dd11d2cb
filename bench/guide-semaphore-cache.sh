#!/usr/bin/env bash
# The Semaphore guide "Setting up caching with AWS S3", by hand: exactly
# its aws CLI commands, in its order, each with --endpoint-url added, and
# the files it writes (~/.aws/config, ~/.aws/credentials, the agent's
# config.yaml). bench/roundtrips times it against `awsboot bootstrap` of
# examples/semaphore-cache.yaml.
#
#   bench/guide-semaphore-cache.sh ENDPOINT
#
# ENDPOINT must be a local emulator (moto) or a proxy in front of one: the
# script refuses anything but a loopback http URL. Credentials and region
# come from the environment (AWS_ACCESS_KEY_ID=testing ...). HOME must be
# a fresh, throwaway directory: the guide writes ~/.aws and its `mkdir`
# fails when ~/.aws exists, so the script refuses a HOME holding one.
#
# Departures from the guide, none of them an AWS call:
#   - the policy document goes to $HOME/semaphore-cache-policy.json, not
#     /tmp, so runs in parallel do not share it;
#   - the ARN, key ID and secret the guide asks the reader to "save" are
#     taken from the commands' JSON output with sed;
#   - the guide's credentials file swaps its two placeholders
#     (aws_access_key_id = SecretAccessKey); the key ID and the secret go
#     where they belong here;
#   - the agent's config.yaml is ~/agent/config.yaml, where the example
#     spec puts it (write.semaphore_agent: ./agent/config.yaml).
set -euo pipefail

endpoint=${1:?usage: $0 ENDPOINT (a loopback URL of moto or a proxy in front of it)}
case $endpoint in
http://127.0.0.1:* | http://localhost:* | http://\[::1\]:*) ;;
*)
	echo "$0: $endpoint is not a loopback http URL; this script only runs against a local emulator" >&2
	exit 2
	;;
esac
if [[ -e $HOME/.aws ]]; then
	echo "$0: $HOME/.aws exists; run with HOME set to a fresh directory" >&2
	exit 2
fi
ep=(--endpoint-url "$endpoint")

# 1. Create your AWS S3 bucket and block public access to it.
aws "${ep[@]}" s3api create-bucket \
	--region us-east-1 \
	--bucket semaphore-cache >/dev/null
aws "${ep[@]}" s3api put-public-access-block \
	--bucket semaphore-cache \
	--public-access-block-configuration \
	BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true

# 2. Create an AWS IAM policy.
cat >"$HOME/semaphore-cache-policy.json" <<EOF
{
"Version": "2012-10-17",
"Statement": [
{
"Sid": "statement1",
"Effect": "Allow",
"Action": [
"s3:PutObject",
"s3:GetObject",
"s3:ListBucket",
"s3:DeleteObject"
],
"Resource": [
"arn:aws:s3:::semaphore-cache/*",
"arn:aws:s3:::semaphore-cache"
]
}
]
}
EOF
policy=$(aws "${ep[@]}" iam create-policy \
	--policy-name semaphore-cache-policy \
	--policy-document "file://$HOME/semaphore-cache-policy.json" \
	--description "Restricts access to some operations on the semaphore-cache S3 bucket")
policy_arn=$(sed -n 's/.*"Arn": "\([^"]*\)".*/\1/p' <<<"$policy")

# 3. Create the AWS IAM user and its access keys.
aws "${ep[@]}" iam create-user --user-name semaphore >/dev/null
key=$(aws "${ep[@]}" iam create-access-key --user-name semaphore)
key_id=$(sed -n 's/.*"AccessKeyId": "\([^"]*\)".*/\1/p' <<<"$key")
secret=$(sed -n 's/.*"SecretAccessKey": "\([^"]*\)".*/\1/p' <<<"$key")

# 4. Attach the AWS IAM policy to the AWS IAM user.
aws "${ep[@]}" iam attach-user-policy \
	--user-name semaphore \
	--policy-arn "$policy_arn"

# Configuring your machine: 1. the ~/.aws folder.
mkdir ~/.aws
cat >~/.aws/config <<EOF
[default]
region = us-east-1
output = json
EOF
cat >~/.aws/credentials <<EOF
[default]
aws_access_key_id = $key_id
aws_secret_access_key = $secret
EOF

# 2. Updating the agent configuration.
mkdir -p ~/agent
cat >>~/agent/config.yaml <<EOF
env-vars:
  - SEMAPHORE_CACHE_BACKEND=s3
  - SEMAPHORE_CACHE_S3_BUCKET=semaphore-cache
EOF
