package awsapi

import (
	"errors"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// ErrorCode returns the AWS error code of err ("NoSuchBucketPolicy"), ""
// if it is not an API error. S3 reports several "not found" conditions
// only by code, without an error type (smithy.APIError.ErrorCode).
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// HTTPStatus returns the HTTP status of an AWS error, 0 if none: HEAD
// requests (HeadBucket) carry no error code, only the status.
func HTTPStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// IsNotFound reports IAM's NoSuchEntity, by its type or, from services
// that answer without IAM's error shapes, by its code.
func IsNotFound(err error) bool {
	var nf *iamtypes.NoSuchEntityException
	return errors.As(err, &nf) || ErrorCode(err) == "NoSuchEntity"
}

// IsDeleteConflict reports IAM's DeleteConflict: the entity still has
// something attached that must go first.
func IsDeleteConflict(err error) bool {
	var dc *iamtypes.DeleteConflictException
	return errors.As(err, &dc) || ErrorCode(err) == "DeleteConflict"
}

// NotImplemented reports a service answering that it lacks an API
// (NotImplemented, InvalidAction, NotSupported or HTTP 501): S3-compatible
// services implement a subset of S3 and IAM.
func NotImplemented(err error) bool {
	switch ErrorCode(err) {
	case "NotImplemented", "InvalidAction", "NotSupported":
		return true
	}
	return HTTPStatus(err) == http.StatusNotImplemented
}

// IsAlreadyExists reports IAM's EntityAlreadyExists: after a create whose
// first answer was lost, the SDK's retry meets the object the first
// attempt made.
func IsAlreadyExists(err error) bool {
	var ae *iamtypes.EntityAlreadyExistsException
	return errors.As(err, &ae) || ErrorCode(err) == "EntityAlreadyExists"
}
